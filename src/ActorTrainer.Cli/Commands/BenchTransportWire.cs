using System.Globalization;
using ActorTrainer.Actors.ParameterServer;
using ActorTrainer.Actors.TensorChannel;
using ActorTrainer.Core.Compression;

namespace ActorTrainer.Cli.Commands;

/// <summary>
/// `bench transport`'s first table: bytes on the wire per update at P parameters for each push encoding,
/// against the payload (the encoded values, and the indices of a sparse push). Framing = the frame's
/// prefix, fields and tensor counts; computed with the channel's own codec, so it is what a run sends.
/// </summary>
internal static class BenchTransportWire
{
    /// <summary>Encodings the table shows.</summary>
    private static readonly GradientEncoding[] Encodings = [GradientEncoding.Fp32, GradientEncoding.Bf16, GradientEncoding.TopK(0.01)];

    public static void Report(int parameters, TextWriter stdout)
    {
        var rng = new Random(1);
        var weights = new WeightsPublished(1, 1, new float[parameters]);
        long weightsFrame = ChannelFrameCodec.Length(new MessageFrame(weights));
        stdout.WriteLine($"wire per update at {parameters} parameters (push without h; h adds 4·B·H bytes):");
        foreach (var encoding in Encodings)
        {
            var g = new float[parameters];
            for (int i = 0; i < g.Length; i++) g[i] = (float)(rng.NextDouble() * 2 - 1);
            encoding.CreateEncoder(parameters).Encode(g, update: 0);
            var push = new PushGradient(0, 0, 0, g, 1f, 1.0, false, 1) { Encoding = encoding.Wire };
            long frame = ChannelFrameCodec.Length(new MessageFrame(new Actors.Cluster.SlotPush(0, push)));
            long payload = ChannelFrameCodec.EncodedLength(g, encoding.Wire) - (encoding.Wire == WireEncoding.Sparse ? 8 : 4); // values (+ indices), no counts
            stdout.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"  push {encoding,-10} {frame,10} B on the wire, payload {payload,10} B, framing {frame - payload} B ({100.0 * (frame - payload) / payload:F3}%); " +
                $"with the fp32 weights back: {frame + weightsFrame} B per worker per update"));
        }
        stdout.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"  weights fp32    {weightsFrame,10} B on the wire, payload {4L * parameters,10} B, framing {weightsFrame - 4L * parameters} B ({100.0 * (weightsFrame - 4L * parameters) / (4L * parameters):F3}%)"));
    }
}
