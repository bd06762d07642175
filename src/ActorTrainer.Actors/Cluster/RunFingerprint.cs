using System.Globalization;
using System.Text;
using ActorTrainer.Actors.ParameterServer;

namespace ActorTrainer.Actors.Cluster;

/// <summary>
/// Everything a worker node and the parameter server must agree on before the node may take
/// streams: the model (W's length and shape), the vocabulary (same size is not enough: token ids
/// must mean the same characters), the stream layout (training tokens N, streams per worker B,
/// chunk length k), how gradients are computed and consumed (truncation, consistency mode,
/// staleness bound) and the transport's maximum frame size (Akka.Remote drops the connection when
/// two nodes disagree on it). <see cref="MismatchWith"/> names the first difference.
/// </summary>
/// <param name="Vocabulary">The vocabulary in token order (<c>Vocabulary.ToJson()</c>).</param>
/// <param name="Training">Truncation, mode and staleness as one readable string, e.g. "truncation=subsequence,mode=sync,staleness=2".</param>
public sealed record RunFingerprint(
    ModelFingerprint Model, string Vocabulary, int TrainTokens, int StreamsPerWorker, int ChunkLength,
    string Training, long MaxFrameSize)
{
    /// <summary>Null when this (a worker node's) fingerprint matches the server's; otherwise why not, in one sentence.</summary>
    public string? MismatchWith(RunFingerprint server)
    {
        ArgumentNullException.ThrowIfNull(server);
        if (Model != server.Model) return $"model mismatch: worker has {Model}, server has {server.Model}";
        if (Vocabulary != server.Vocabulary)
        {
            IReadOnlyList<Rune> mine = Symbols(Vocabulary), theirs = Symbols(server.Vocabulary);
            return $"vocabulary mismatch: worker has {mine.Count} symbols, server has {theirs.Count}; " +
                   $"first difference at token {FirstDifference(mine, theirs)} (train on the same corpus on every node)";
        }
        if (TrainTokens != server.TrainTokens)
            return $"corpus mismatch: worker has {TrainTokens} training tokens, server has {server.TrainTokens} (same --corpus and validation fraction on every node)";
        if (StreamsPerWorker != server.StreamsPerWorker)
            return $"batch mismatch: worker has --batch {StreamsPerWorker}, server has {server.StreamsPerWorker}";
        if (ChunkLength != server.ChunkLength)
            return $"chunk mismatch: worker has --chunk {ChunkLength}, server has {server.ChunkLength}";
        if (Training != server.Training) return $"training mismatch: worker has {Training}, server has {server.Training}";
        if (MaxFrameSize != server.MaxFrameSize)
            return $"transport mismatch: worker has maximum-frame-size {MaxFrameSize.ToString(CultureInfo.InvariantCulture)} bytes, " +
                   $"server has {server.MaxFrameSize.ToString(CultureInfo.InvariantCulture)} (it must be the same on every node: hocon/cluster.conf)";
        return null;
    }

    /// <summary>The symbols of a vocabulary's JSON form; a string that is not one counts as its characters (for the message only).</summary>
    private static IReadOnlyList<Rune> Symbols(string vocabulary)
    {
        try { return Core.Data.Vocabulary.FromJson(vocabulary).Symbols; }
        catch (FormatException) { return vocabulary.EnumerateRunes().ToList(); }
    }

    private static int FirstDifference(IReadOnlyList<Rune> a, IReadOnlyList<Rune> b)
    {
        int n = Math.Min(a.Count, b.Count);
        for (int i = 0; i < n; i++)
            if (a[i] != b[i]) return i;
        return n;
    }
}
