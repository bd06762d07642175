using System.Globalization;
using System.Numerics.Tensors;
using System.Text;
using ActorTrainer.Core.Rnn;

namespace ActorTrainer.Core.Diagnostics;

/// <summary>
/// Frobenius norms of the per-lag pieces of the untruncated gradient dWhh of the mean loss:
/// NormByLag[ℓ] = ‖C_ℓ‖_F for ℓ = 0..K, TailNorm = ‖Σ_{ℓ&gt;K} C_ℓ‖_F, FullNorm = ‖dWhh‖_F, Loss the mean loss
/// over Predictions predictions. See <see cref="WhhGradientByLag"/>.
/// </summary>
public sealed record WhhLagContributions(IReadOnlyList<double> NormByLag, double TailNorm, double FullNorm, double Loss, int Predictions)
{
    /// <summary>Tab-separated: lag, ‖C_lag‖_F, share of ‖dWhh‖_F; then a 'tail' row for lags &gt; K (invariant culture).</summary>
    public string ToTable()
    {
        var sb = new StringBuilder();
        sb.AppendLine("# ||dW_hh contribution at lag l||_F (full BPTT, mean CE loss " + F(Loss) + ", ||dW_hh||_F " + F(FullNorm) + ")");
        sb.AppendLine("lag\tnorm\tnorm/full");
        for (int l = 0; l < NormByLag.Count; l++)
            sb.AppendLine(string.Join('\t', l.ToString(CultureInfo.InvariantCulture), F(NormByLag[l]), F(NormByLag[l] / FullNorm)));
        sb.AppendLine(string.Join('\t', "tail", F(TailNorm), F(TailNorm / FullNorm)));
        return sb.ToString();
    }

    private static string F(double x) => x.ToString("G6", CultureInfo.InvariantCulture);
}

/// <summary>
/// The per-lag matrices themselves (each H×H, row-major): ByLag[ℓ] = C_ℓ for ℓ = 0..K, Tail = Σ_{ℓ&gt;K} C_ℓ,
/// Full = dWhh (untruncated BPTT). Σ_ℓ ByLag[ℓ] + Tail = Full.
/// </summary>
public sealed record WhhLagDecomposition(int H, IReadOnlyList<double[]> ByLag, double[] Tail, double[] Full, double Loss);

/// <summary>
/// Which time lags the full-BPTT gradient of W_hh is made of. For the mean softmax-CE loss over all
/// next-token predictions, with δ_{t,s} = ∂L_t/∂a_s,
///   dWhh = Σ_t Σ_{s≤t} δ_{t,s} ⊗ h_{s−1} = Σ_ℓ C_ℓ,   C_ℓ = Σ_t δ_{t,t−ℓ} ⊗ h_{t−ℓ−1}.
/// C_0 is the gradient with no path back through time; truncation at τ keeps only ℓ ≤ τ (k-step) — so the size of
/// C_ℓ for large ℓ is what truncation throws away, and what vanishing makes invisible anyway.
/// Recursion over lags (one T×H block per sequence, no T² storage):
///   δ_{t,t}     = φ'(a_t) ⊙ Whyᵀ dy_t                       (into y, into h, through φ)
///   δ_{t,s−1}   = φ'(a_{s−1}) ⊙ Whhᵀ δ_{t,s}                 (back one step through the recurrence)
/// Cost O(K·ΣT·H²). Each sequence: inputs seq[0..T−1] (one-hot), targets seq[1..T], h_{−1} = 0.
/// </summary>
public static class WhhGradientByLag
{
    /// <summary>Norms of C_0..C_K, of the tail (ℓ &gt; K, = dWhh − Σ_{ℓ≤K} C_ℓ) and of dWhh.</summary>
    public static WhhLagContributions Compute(ModelSpec spec, ReadOnlySpan<float> w, IReadOnlyList<int[]> sequences, int maxLag)
    {
        var norms = new double[Math.Max(0, maxLag + 1)];
        var pieces = Run(spec, w, sequences, maxLag, (l, c) => norms[l] = TensorPrimitives.Norm<double>(c));
        return new WhhLagContributions(norms, TensorPrimitives.Norm<double>(pieces.Tail),
            TensorPrimitives.Norm<double>(pieces.Full), pieces.Loss, pieces.Predictions);
    }

    /// <summary>The matrices C_0..C_K, the tail and dWhh; memory (K+3)·H² doubles.</summary>
    public static WhhLagDecomposition Decompose(ModelSpec spec, ReadOnlySpan<float> w, IReadOnlyList<int[]> sequences, int maxLag)
    {
        var byLag = new double[Math.Max(0, maxLag + 1)][];
        var pieces = Run(spec, w, sequences, maxLag, (l, c) => byLag[l] = (double[])c.Clone());
        return new WhhLagDecomposition(spec.Shape.H, byLag, pieces.Tail, pieces.Full, pieces.Loss);
    }

    private readonly record struct Pieces(double[] Full, double[] Tail, double Loss, int Predictions);

    /// <summary>Calls visit(ℓ, C_ℓ) for ℓ = 0..K (C_ℓ is reused: copy it to keep it).</summary>
    private static Pieces Run(ModelSpec spec, ReadOnlySpan<float> w, IReadOnlyList<int[]> sequences, int maxLag, Action<int, double[]> visit)
    {
        ArgumentNullException.ThrowIfNull(spec);
        ArgumentNullException.ThrowIfNull(sequences);
        if (spec.Loss != LossKind.SoftmaxCrossEntropy)
            throw new ArgumentException($"the per-lag decomposition uses next-token targets (SoftmaxCrossEntropy); spec has {spec.Loss}", nameof(spec));
        if (maxLag < 0) throw new ArgumentOutOfRangeException(nameof(maxLag), maxLag, "maximum lag K must be ≥ 0");
        if (sequences.Count == 0) throw new ArgumentException("no sequences given", nameof(sequences));
        for (int i = 0; i < sequences.Count; i++)
            if (sequences[i] is null || sequences[i].Length < 2)
                throw new ArgumentException($"sequence {i} has {sequences[i]?.Length ?? 0} tokens; at least 2 are needed (input and next-token target)", nameof(sequences));

        var rnn = new DoubleRnn(spec, w);
        int H = rnn.H, n = sequences.Sum(s => s.Length - 1), maxT = sequences.Max(s => s.Length - 1);
        var traces = new RnnTrace[sequences.Count];
        var delta = new double[sequences.Count][];   // per sequence (T×H): row t = δ_{t,t−ℓ} at the current lag ℓ
        var dy = new double[rnn.O];                   // (O)
        var dh = new double[H];                       // (H)
        var full = new double[H * H];                 // (H×H) dWhh
        double loss = 0;

        for (int b = 0; b < sequences.Count; b++)
        {
            var seq = sequences[b];
            int T = seq.Length - 1;
            var tr = traces[b] = rnn.ForwardTokens(seq.AsSpan(0, T));
            var d = delta[b] = new double[T * H];
            for (int t = 0; t < T; t++)
            {
                // into y: dy = (softmax(y_t) − onehot(target)) / n, the mean over all predictions
                rnn.Output(tr.HAt(t), dy);
                loss += DoubleRnn.SoftmaxCrossEntropy(dy, seq[t + 1]);
                TensorPrimitives.Divide(dy, n, dy);
                // into h, through φ: δ_{t,t} = φ'(a_t) ⊙ Whyᵀ dy
                rnn.BackOutput(dy, dh);
                TensorPrimitives.Multiply(dh, tr.DPhiAt(t), d.AsSpan(t * H, H));
            }
            // the untruncated gradient, min-char-rnn style: da_t = δ_{t,t} + φ'(a_t) ⊙ Whhᵀ da_{t+1}
            var da = new double[H]; var back = new double[H];
            for (int t = T - 1; t >= 0; t--)
            {
                TensorPrimitives.Multiply(back, tr.DPhiAt(t), da);
                TensorPrimitives.Add(da, d.AsSpan(t * H, H), da);
                Dense.AddOuter(full, H, H, da, tr.HAt(t - 1));
                Dense.MatTVec(rnn.Whh, H, H, da, back);
            }
        }

        var c = new double[H * H];   // (H×H) C_ℓ
        var sum = new double[H * H]; // (H×H) Σ_{ℓ'≤ℓ} C_ℓ'
        for (int l = 0; l <= maxLag; l++)
        {
            Array.Clear(c);
            for (int b = 0; b < traces.Length && l < maxT; b++)
                for (int t = l; t < traces[b].T; t++)
                    Dense.AddOuter(c, H, H, delta[b].AsSpan(t * H, H), traces[b].HAt(t - l - 1));
            visit(l, c);
            TensorPrimitives.Add(sum, c, sum);
            if (l + 1 >= maxT || l == maxLag) continue;
            // one lag further back for every L_t that reaches it: δ_{t,t−ℓ−1} = φ'(a_{t−ℓ−1}) ⊙ Whhᵀ δ_{t,t−ℓ}
            for (int b = 0; b < traces.Length; b++)
                for (int t = l + 1; t < traces[b].T; t++)
                {
                    var row = delta[b].AsSpan(t * H, H);
                    Dense.MatTVec(rnn.Whh, H, H, row, dh);
                    TensorPrimitives.Multiply(dh, traces[b].DPhiAt(t - l - 1), row);
                }
        }
        var tail = new double[H * H];
        TensorPrimitives.Subtract(full, sum, tail);
        return new Pieces(full, tail, loss / n, n);
    }
}
