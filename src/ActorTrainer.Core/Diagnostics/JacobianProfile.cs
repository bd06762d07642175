using System.Numerics.Tensors;
using ActorTrainer.Core.Rnn;

namespace ActorTrainer.Core.Diagnostics;

/// <summary>
/// How fast the state forgets: ‖∂h_t/∂h_{t−k}‖ for lags k = 1..K, averaged over positions t and streams.
///   ∂h_t/∂h_{t−k} = J_t·J_{t−1}···J_{t−k+1},   J_s = ∂h_s/∂h_{s−1} = diag(φ'(a_s))·Whh,
/// so the norm shrinks or grows roughly like ρ(Whh)^k (times the φ' factors): the lecture's vanishing and
/// exploding gradients, measured on a real model and real inputs.
/// </summary>
public static class JacobianProfile
{
    /// <summary>
    /// Runs the model (in double) over each token sequence from h_{−1} = 0 (inputs x_t = onehot(seq[t])), then,
    /// at anchor positions t = T−1, T−1−anchorStride, … ≥ K−1 (so every lag has the same samples), builds the
    /// products P_k = ∂h_t/∂h_{t−k} incrementally (P_k = P_{k−1}·J_{t−k+1}: one H×H·H×H product per lag,
    /// O(K·H³) per anchor) and records ‖P_k‖ in the chosen norm (spectral by power iteration, warm-started across
    /// lags). Returns one row per lag 1..K: mean, geometric mean, median, min, max over the anchors.
    /// Throws on a W of the wrong length, K &lt; 1, a sequence shorter than K, or a token outside 0..V−1.
    /// </summary>
    public static LagProfile Compute(ModelSpec spec, ReadOnlySpan<float> w, IReadOnlyList<int[]> sequences, int maxLag,
        MatrixNorm norm = MatrixNorm.Spectral, int anchorStride = 1)
    {
        ArgumentNullException.ThrowIfNull(sequences);
        if (maxLag < 1) throw new ArgumentOutOfRangeException(nameof(maxLag), maxLag, "maximum lag K must be ≥ 1");
        if (anchorStride < 1) throw new ArgumentOutOfRangeException(nameof(anchorStride), anchorStride, "anchor stride must be ≥ 1");
        if (sequences.Count == 0) throw new ArgumentException("no sequences given", nameof(sequences));
        for (int i = 0; i < sequences.Count; i++)
        {
            if (sequences[i] is null) throw new ArgumentException($"sequence {i} is null", nameof(sequences));
            if (sequences[i].Length < maxLag)
                throw new ArgumentException($"sequence {i} has {sequences[i].Length} steps, fewer than the maximum lag K={maxLag}", nameof(sequences));
        }

        var rnn = new DoubleRnn(spec, w);
        var logs = new List<double>[maxLag];
        for (int k = 0; k < maxLag; k++) logs[k] = new List<double>();
        var walk = new JacobianWalk(rnn.H);
        foreach (var seq in sequences)
        {
            var tr = rnn.ForwardTokens(seq);
            for (int t = tr.T - 1; t >= maxLag - 1; t -= anchorStride)
            {
                walk.Start();
                for (int k = 1; k <= maxLag; k++)
                {
                    walk.Step(rnn.Whh, tr.DPhiAt(t - k + 1));
                    logs[k - 1].Add(walk.LogNorm(norm));
                }
            }
        }
        var rows = new LagStats[maxLag];
        for (int k = 1; k <= maxLag; k++) rows[k - 1] = LagStats.FromLogs(k, logs[k - 1]);
        return new LagProfile($"||dh_t/dh_(t-k)|| ({norm} norm, phi={spec.Phi}, H={rnn.H})", rows);
    }

    /// <summary>The matrix ∂h_t/∂h_{t−k} (H×H) of a forward trace, built by the same walk as <see cref="Compute"/>.</summary>
    internal static double[] Product(DoubleRnn rnn, RnnTrace trace, int t, int k)
    {
        var walk = new JacobianWalk(rnn.H);
        walk.Start();
        for (int j = 1; j <= k; j++) walk.Step(rnn.Whh, trace.DPhiAt(t - j + 1));
        var p = walk.Normalized.ToArray();
        double s = Math.Exp(walk.LogScale);
        for (int i = 0; i < p.Length; i++) p[i] *= s;
        return p;
    }
}

/// <summary>
/// The running product P = J_t···J_{t−k+1} for one anchor t, stored as P̂·e^{LogScale} with ‖P̂‖_F = 1 so that
/// ρ^k for large k neither overflows nor underflows. After P becomes exactly 0 (e.g. dead ReLUs) it stays 0.
/// Owns its buffers; no allocation per step.
/// </summary>
internal sealed class JacobianWalk
{
    private readonly int H;
    private double[] _p;             // (H×H) P̂
    private double[] _next;          // (H×H) scratch for P̂·diag(φ')·Whh
    private readonly double[] _u;    // (H) top left singular vector of P̂, warm start across lags
    private readonly double[] _g;    // (H) scratch
    private bool _zero;

    public double LogScale { get; private set; }
    public ReadOnlySpan<double> Normalized => _p;

    public JacobianWalk(int h)
    {
        H = h;
        _p = new double[h * h]; _next = new double[h * h]; _u = new double[h]; _g = new double[h];
    }

    /// <summary>P = I (lag 0).</summary>
    public void Start()
    {
        Array.Clear(_p);
        for (int i = 0; i < H; i++) _p[i * H + i] = 1;
        _zero = false;
        // ‖I‖_F = √H
        TensorPrimitives.Divide(_p, Math.Sqrt(H), _p);
        LogScale = 0.5 * Math.Log(H);
        MatrixNorms.RandomUnit(_u, seed: 1);
    }

    /// <summary>One lag further back: P ← P·J_s = P·diag(φ'(a_s))·Whh, then renormalise.</summary>
    public void Step(ReadOnlySpan<double> whh, ReadOnlySpan<double> dPhi)
    {
        if (_zero) return;
        // P·diag(d): scale column j of every row by d_j
        for (int i = 0; i < H; i++)
        {
            var row = _p.AsSpan(i * H, H);
            TensorPrimitives.Multiply(row, dPhi, row);
        }
        Dense.MatMul(_p, whh, H, H, H, _next);
        (_p, _next) = (_next, _p);
        double s = TensorPrimitives.Norm<double>(_p); // Frobenius
        if (s == 0 || !double.IsFinite(s))
        {
            if (!double.IsFinite(s)) throw new InvalidOperationException($"Jacobian product became non-finite ({s}); are W or the inputs finite?");
            _zero = true; LogScale = double.NegativeInfinity;
            return;
        }
        TensorPrimitives.Divide(_p, s, _p);
        LogScale += Math.Log(s);
    }

    /// <summary>log ‖P‖ (natural log; −∞ when P = 0).</summary>
    public double LogNorm(MatrixNorm norm)
    {
        if (_zero) return double.NegativeInfinity;
        return norm switch
        {
            MatrixNorm.Frobenius => LogScale, // ‖P̂‖_F = 1
            MatrixNorm.Spectral => LogScale + Math.Log(MatrixNorms.LargestSingularValue(_p, H, H, _u, _g, 1e-12, 1000)),
            _ => throw new ArgumentOutOfRangeException(nameof(norm), norm, "unknown norm"),
        };
    }
}
