using System.Numerics.Tensors;
using ActorTrainer.Core.Rnn;

namespace ActorTrainer.Core.Diagnostics;

/// <summary>
/// What the forward pass of one stream leaves behind for the diagnostics:
/// a_t, h_t and φ'(a_t) for t = 0..T−1, plus the state h_{−1} the stream started from.
/// </summary>
internal sealed class RnnTrace
{
    public int T { get; }
    public int H { get; }
    public double[] A { get; }     // (T×H)     pre-activations a_t = Wxh x_t + Whh h_{t−1} + Bh
    public double[] Hs { get; }    // ((T+1)×H) row 0 is h_{−1}, row t+1 is h_t
    public double[] DPhi { get; }  // (T×H)     φ'(a_t)

    public RnnTrace(int t, int h)
    {
        T = t; H = h;
        A = new double[t * h]; Hs = new double[(t + 1) * h]; DPhi = new double[t * h];
    }

    /// <summary>h_t for t = −1..T−1.</summary>
    public Span<double> HAt(int t) => Hs.AsSpan((t + 1) * H, H);
    /// <summary>φ'(a_t) for t = 0..T−1: the diagonal of ∂h_t/∂a_t.</summary>
    public Span<double> DPhiAt(int t) => DPhi.AsSpan(t * H, H);
}

/// <summary>
/// A plain double-precision Elman RNN over a flat float W (layout: <see cref="ModelShape"/>) for the
/// diagnostics: its forward step is <see cref="BpttReference.Step"/>, the reference's. Not the training engine.
///   a_t = Wxh x_t + Whh h_{t−1} + Bh,   h_t = φ(a_t),   y_t = Why h_t + By.
/// One-hot inputs make Wxh x_t the column x_t of Wxh.
/// </summary>
internal sealed class DoubleRnn
{
    public ModelSpec Spec { get; }
    public int V { get; }
    public int H { get; }
    public int O { get; }
    public double[] Wxh { get; } // (H×V)
    public double[] Whh { get; } // (H×H)
    public double[] Bh { get; }  // (H)
    public double[] Why { get; } // (O×H)
    public double[] By { get; }  // (O)
    private readonly double[] _w; // (Count) W in double, for the reference's step

    public DoubleRnn(ModelSpec spec, ReadOnlySpan<float> w)
    {
        ArgumentNullException.ThrowIfNull(spec);
        var s = spec.Shape;
        if (w.Length != s.Count)
            throw new ArgumentException($"W has length {w.Length} but the model (V={s.V}, H={s.H}, O={s.O}) needs {s.Count}", nameof(w));
        Spec = spec; V = s.V; H = s.H; O = s.O;
        Wxh = Dense.ToDouble(s.Wxh(w)); Whh = Dense.ToDouble(s.Whh(w)); Bh = Dense.ToDouble(s.Bh(w));
        Why = Dense.ToDouble(s.Why(w)); By = Dense.ToDouble(s.By(w));
        _w = Dense.ToDouble(w);
    }

    /// <summary>Forward over token inputs x_t = onehot(tokens[t]) from h_{−1} = h0 (H), or zeros when h0 is empty.</summary>
    public RnnTrace ForwardTokens(ReadOnlySpan<int> tokens, ReadOnlySpan<double> h0 = default)
    {
        for (int t = 0; t < tokens.Length; t++)
            if ((uint)tokens[t] >= (uint)V)
                throw new ArgumentOutOfRangeException(nameof(tokens), tokens[t], $"input token at position {t} is outside 0..V−1 (V={V})");
        return Forward(tokens.Length, h0, tokens, default);
    }

    /// <summary>Forward over dense inputs x (T×V) from h_{−1} = h0 (H), or zeros when h0 is empty.</summary>
    public RnnTrace ForwardVectors(ReadOnlySpan<double> x, int t, ReadOnlySpan<double> h0 = default)
    {
        if (x.Length != t * V)
            throw new ArgumentException($"dense inputs have length {x.Length}, expected T·V = {t}·{V}", nameof(x));
        return Forward(t, h0, default, x);
    }

    private RnnTrace Forward(int T, ReadOnlySpan<double> h0, ReadOnlySpan<int> tokens, ReadOnlySpan<double> x)
    {
        if (!h0.IsEmpty && h0.Length != H)
            throw new ArgumentException($"initial state has length {h0.Length}, expected H={H}", nameof(h0));
        var tr = new RnnTrace(T, H);
        if (!h0.IsEmpty) h0.CopyTo(tr.HAt(-1));
        for (int t = 0; t < T; t++)
        {
            var a = tr.A.AsSpan(t * H, H);
            if (!tokens.IsEmpty) BpttReference.Step(Spec, _w, tokens[t], default, tr.HAt(t - 1), a, tr.HAt(t));
            else BpttReference.Step(Spec, _w, -1, x.Slice(t * V, V), tr.HAt(t - 1), a, tr.HAt(t));
            ReadOnlySpan<double> h = tr.HAt(t);
            Span<double> d = tr.DPhiAt(t);
            for (int i = 0; i < H; i++) d[i] = ActivationFunctions.PhiPrime(Spec.Phi, h[i]);
        }
        return tr;
    }

    /// <summary>y (O) = Why h + By.</summary>
    public void Output(ReadOnlySpan<double> h, Span<double> y) => BpttReference.Output(Spec, _w, h, y);

    /// <summary>
    /// Softmax cross-entropy on logits y (O) against class target; overwrites y with ∂L/∂y = softmax(y) − onehot(target)
    /// and returns L = −log softmax(y)[target].
    /// </summary>
    public static double SoftmaxCrossEntropy(Span<double> y, int target)
    {
        if ((uint)target >= (uint)y.Length)
            throw new ArgumentOutOfRangeException(nameof(target), target, $"target class is outside 0..O−1 (O={y.Length})");
        double max = TensorPrimitives.Max<double>(y);
        double sum = 0;
        for (int i = 0; i < y.Length; i++) { y[i] = Math.Exp(y[i] - max); sum += y[i]; }
        double loss = -Math.Log(y[target] / sum);
        TensorPrimitives.Divide(y, sum, y);
        y[target] -= 1;
        return loss;
    }

    /// <summary>
    /// Squared error ½‖y − target‖² on outputs y (O); overwrites y with ∂L/∂y = y − target and returns L.
    /// </summary>
    public static double SquaredError(Span<double> y, ReadOnlySpan<double> target)
    {
        TensorPrimitives.Subtract(y, target, y);
        return 0.5 * TensorPrimitives.Dot<double>(y, y);
    }

    /// <summary>Into h: dh (H) = Whyᵀ dy.</summary>
    public void BackOutput(ReadOnlySpan<double> dy, Span<double> dh) => Dense.MatTVec(Why, O, H, dy, dh);

    /// <summary>
    /// One step back through the recurrence: dhPrev (H) = ∂h_t/∂h_{t−1}ᵀ · dh = Whhᵀ (φ'(a_t) ⊙ dh).
    /// scratch (H) receives da = φ'(a_t) ⊙ dh. dhPrev may not alias dh or scratch.
    /// </summary>
    public void BackStep(ReadOnlySpan<double> dPhiT, ReadOnlySpan<double> dh, Span<double> scratch, Span<double> dhPrev)
    {
        TensorPrimitives.Multiply(dPhiT, dh, scratch);
        Dense.MatTVec(Whh, H, H, scratch, dhPrev);
    }
}
