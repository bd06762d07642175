using System.Numerics.Tensors;
using ActorTrainer.Core.Rnn;

namespace ActorTrainer.Core.Diagnostics;

/// <summary>
/// The cheap gradient-vs-lag probe a training loop can record every n updates:
/// NormByLag[k] = ‖∂L_{T−1}/∂h_{T−1−k}‖₂ for k = 0..K, the gradient of the chunk's LAST per-step loss (not divided by
/// B·T) with respect to the state k steps earlier, averaged (arithmetic mean) over the B streams. One forward and
/// one K-step backward per stream, all in double:
///   g_0 = Whyᵀ ∂L/∂y_{T−1},   g_{k+1} = Whhᵀ (φ'(a_{T−1−k}) ⊙ g_k).
/// k = T is the state entering the chunk (hPrev). The array belongs to this value; do not mutate it.
/// </summary>
public readonly record struct GradientLagProfile(long Update, double[] NormByLag)
{
    /// <summary>K, the largest lag measured.</summary>
    public int MaxLag => NormByLag.Length - 1;

    /// <summary>
    /// Probes a training chunk (time-major, see <see cref="Chunk"/>; token or dense inputs; token targets for
    /// softmax CE, dense targets for MSE, as spec.Loss says) run from hPrev (B×H; empty means zeros), the state the
    /// chunk starts from. Throws if maxLag is outside 0..T, or the chunk lacks the inputs/targets the spec needs.
    /// </summary>
    public static GradientLagProfile Measure(ModelSpec spec, ReadOnlySpan<float> w, Chunk chunk, ReadOnlySpan<float> hPrev,
        int maxLag, long update = 0)
    {
        ArgumentNullException.ThrowIfNull(spec);
        ArgumentNullException.ThrowIfNull(chunk);
        var rnn = new DoubleRnn(spec, w);
        int B = chunk.B, T = chunk.T, V = rnn.V, O = rnn.O, H = rnn.H;
        CheckLag(maxLag, T);
        if (!hPrev.IsEmpty && hPrev.Length != B * H)
            throw new ArgumentException($"hPrev has length {hPrev.Length}, expected B·H = {B}·{H}", nameof(hPrev));
        bool ce = spec.Loss == LossKind.SoftmaxCrossEntropy;
        if (ce ? chunk.TargetTokens is null : chunk.TargetVectors is null)
            throw new ArgumentException($"loss {spec.Loss} needs {(ce ? "token" : "dense")} targets, and the chunk has none", nameof(chunk));

        var sum = new double[maxLag + 1];
        var tokens = new int[T];          // (T)   one stream's inputs
        var x = new double[T * V];        // (T×V) or dense
        var h0 = new double[H];           // (H)
        var target = new double[O];       // (O)
        for (int b = 0; b < B; b++)
        {
            for (int i = 0; i < H; i++) h0[i] = hPrev.IsEmpty ? 0 : hPrev[b * H + i];
            RnnTrace tr;
            if (chunk.InputTokens is { } inT)
            {
                for (int t = 0; t < T; t++) tokens[t] = inT[t * B + b];
                tr = rnn.ForwardTokens(tokens, h0);
            }
            else
            {
                var inV = chunk.InputVectors!;
                for (int t = 0; t < T; t++)
                    for (int v = 0; v < V; v++) x[t * V + v] = inV[(t * B + b) * V + v];
                tr = rnn.ForwardVectors(x, T, h0);
            }
            int last = (T - 1) * B + b;
            if (ce) AddNorms(rnn, tr, chunk.TargetTokens![last], default, sum);
            else
            {
                for (int o = 0; o < O; o++) target[o] = chunk.TargetVectors![last * O + o];
                AddNorms(rnn, tr, -1, target, sum);
            }
        }
        TensorPrimitives.Divide(sum, B, sum);
        return new GradientLagProfile(update, sum);
    }

    /// <summary>
    /// Probes token sequences run from h_{−1} = 0: inputs seq[0..T−1], the last loss's target seq[T] (softmax CE).
    /// Each sequence needs T ≥ maxLag, i.e. at least maxLag + 1 tokens.
    /// </summary>
    public static GradientLagProfile Measure(ModelSpec spec, ReadOnlySpan<float> w, IReadOnlyList<int[]> sequences,
        int maxLag, long update = 0)
    {
        ArgumentNullException.ThrowIfNull(spec);
        ArgumentNullException.ThrowIfNull(sequences);
        if (spec.Loss != LossKind.SoftmaxCrossEntropy)
            throw new ArgumentException($"token sequences give next-token targets (SoftmaxCrossEntropy); spec has {spec.Loss}", nameof(spec));
        if (sequences.Count == 0) throw new ArgumentException("no sequences given", nameof(sequences));
        var rnn = new DoubleRnn(spec, w);
        var sum = new double[Math.Max(0, maxLag + 1)];
        for (int i = 0; i < sequences.Count; i++)
        {
            var seq = sequences[i] ?? throw new ArgumentException($"sequence {i} is null", nameof(sequences));
            if (seq.Length < 2) throw new ArgumentException($"sequence {i} has {seq.Length} tokens; at least 2 are needed", nameof(sequences));
            int T = seq.Length - 1;
            CheckLag(maxLag, T);
            AddNorms(rnn, rnn.ForwardTokens(seq.AsSpan(0, T)), seq[T], default, sum);
        }
        TensorPrimitives.Divide(sum, sequences.Count, sum);
        return new GradientLagProfile(update, sum);
    }

    private static void CheckLag(int maxLag, int T)
    {
        if (maxLag < 0 || maxLag > T)
            throw new ArgumentOutOfRangeException(nameof(maxLag), maxLag, $"lag must be in 0..T where T = {T} steps (k = T is the state entering)");
    }

    /// <summary>sum[k] += ‖∂L_{T−1}/∂h_{T−1−k}‖₂ for one stream; token target if ≥ 0, else dense target.</summary>
    private static void AddNorms(DoubleRnn rnn, RnnTrace tr, int tokenTarget, ReadOnlySpan<double> denseTarget, Span<double> sum)
    {
        int T = tr.T;
        var dy = new double[rnn.O]; var g = new double[rnn.H]; var gPrev = new double[rnn.H]; var scratch = new double[rnn.H];
        // into y
        rnn.Output(tr.HAt(T - 1), dy);
        if (tokenTarget >= 0) DoubleRnn.SoftmaxCrossEntropy(dy, tokenTarget);
        else DoubleRnn.SquaredError(dy, denseTarget);
        // into h: g_0 = Whyᵀ dy
        rnn.BackOutput(dy, g);
        sum[0] += TensorPrimitives.Norm<double>(g);
        for (int k = 1; k < sum.Length; k++)
        {
            // back through step T−k: ∂L/∂h_{T−1−k} = Whhᵀ (φ'(a_{T−k}) ⊙ ∂L/∂h_{T−k})
            rnn.BackStep(tr.DPhiAt(T - k), g, scratch, gPrev);
            (g, gPrev) = (gPrev, g);
            sum[k] += TensorPrimitives.Norm<double>(g);
        }
    }
}
