using ActorTrainer.Core.Truncation;

namespace ActorTrainer.Core.Rnn;

/// <summary>
/// The slow, literal BPTT in double that <see cref="BpttEngine"/> is tested against.
/// The whole sequence is one <see cref="Chunk"/> (N = seq.T steps of B streams, time-major), starting
/// at sequence step 0 from h0 (B×H). Losses and gradients are SUMS over the N·B predictions
/// (the engine's are means over each chunk).
/// <para>The truncated gradient is Σ_t ∂̃L_t where ∂̃L_t backpropagates L_t from step t down to
/// step f(t) and stops there: h_{f(t)−1} is a constant. One backward pass per L_t.</para>
/// </summary>
public static class BpttReference
{
    /// <summary>Pre-activations A (N×B×H), states H (N×B×H) and outputs Y (N×B×O) of a forward pass.</summary>
    public sealed record Trajectory(double[] A, double[] H, double[] Y);

    /// <summary>Forward over the whole sequence from h0.</summary>
    public static Trajectory Forward(ModelSpec spec, ReadOnlySpan<double> w, Chunk seq, ReadOnlySpan<double> h0)
    {
        Check(spec, w, seq, h0);
        int N = seq.T, B = seq.B, H = spec.Shape.H, O = spec.Shape.O;
        var a = new double[N * B * H];
        var h = new double[N * B * H];
        var y = new double[N * B * O];
        for (int t = 0; t < N; t++)
        for (int b = 0; b < B; b++)
        {
            int r = t * B + b;
            ReadOnlySpan<double> hPrev = t == 0 ? h0.Slice(b * H, H) : h.AsSpan((r - B) * H, H);
            StepRow(spec, w, seq, r, hPrev, a.AsSpan(r * H, H), h.AsSpan(r * H, H));
            Output(spec, w, h.AsSpan(r * H, H), y.AsSpan(r * O, O));
        }
        return new Trajectory(a, h, y);
    }

    /// <summary>Σ_t Σ_b L_{t,b} of the whole sequence from h0 (the untruncated objective).</summary>
    public static double Loss(ModelSpec spec, ReadOnlySpan<double> w, Chunk seq, ReadOnlySpan<double> h0)
    {
        Trajectory tr = Forward(spec, w, seq, h0);
        double sum = 0;
        for (int r = 0; r < seq.T * seq.B; r++) sum += StepLoss(spec, seq, r, tr.Y.AsSpan(r * spec.Shape.O, spec.Shape.O), default);
        return sum;
    }

    /// <summary>
    /// The direct definition of truncation as a loss: Σ_t Σ_b L_{t,b} where each L_t is computed by
    /// running steps f(t) … t with w from h_{f(t)−1} taken from a forward pass with wFrozen (h0 when
    /// f(t) = 0). Its gradient in w at w = wFrozen is the truncated gradient, so central differences in
    /// w (wFrozen fixed) check <see cref="LossAndGradient"/>.
    /// </summary>
    public static double TruncatedLoss(ModelSpec spec, TruncationScheme scheme, ReadOnlySpan<double> w,
        ReadOnlySpan<double> wFrozen, Chunk seq, ReadOnlySpan<double> h0)
    {
        ArgumentNullException.ThrowIfNull(scheme);
        Trajectory frozen = Forward(spec, wFrozen, seq, h0);
        Check(spec, w, seq, h0);
        int N = seq.T, B = seq.B, H = spec.Shape.H, O = spec.Shape.O;
        var h = new double[H];
        var a = new double[H];
        var y = new double[O];
        double sum = 0;
        for (int t = 0; t < N; t++)
        for (int b = 0; b < B; b++)
        {
            int f = EarliestStep(scheme, t);
            ReadOnlySpan<double> start = f == 0 ? h0.Slice(b * H, H) : frozen.H.AsSpan(((f - 1) * B + b) * H, H);
            start.CopyTo(h);
            for (int s = f; s <= t; s++) StepRow(spec, w, seq, s * B + b, h, a, h);
            Output(spec, w, h, y);
            sum += StepLoss(spec, seq, t * B + b, y, default);
        }
        return sum;
    }

    /// <summary>
    /// Returns Σ_t Σ_b L_{t,b} and writes grad (length Count, overwritten) = Σ_t Σ_b ∂̃L_{t,b}/∂w,
    /// each L_t backpropagated from t down to f(t) separately.
    /// </summary>
    public static double LossAndGradient(ModelSpec spec, TruncationScheme scheme, ReadOnlySpan<double> w,
        Chunk seq, ReadOnlySpan<double> h0, Span<double> grad)
    {
        ArgumentNullException.ThrowIfNull(scheme);
        ModelShape sh = spec.Shape;
        if (grad.Length != sh.Count) throw new ArgumentException($"grad has length {grad.Length}, expected {sh.Count}.", nameof(grad));
        Trajectory tr = Forward(spec, w, seq, h0);
        int N = seq.T, B = seq.B, V = sh.V, H = sh.H, O = sh.O;
        ReadOnlySpan<double> Whh = w.Slice(sh.WhhOffset, H * H), Why = w.Slice(sh.WhyOffset, O * H);
        Span<double> dWxh = grad.Slice(sh.WxhOffset, H * V), dWhh = grad.Slice(sh.WhhOffset, H * H);
        Span<double> dBh = grad.Slice(sh.BhOffset, H), dWhy = grad.Slice(sh.WhyOffset, O * H), dBy = grad.Slice(sh.ByOffset, O);
        grad.Clear();
        var dy = new double[O];
        var dh = new double[H];
        var da = new double[H];
        var x = new double[V];
        double loss = 0;

        for (int t = 0; t < N; t++)
        for (int b = 0; b < B; b++)
        {
            int r = t * B + b;
            ReadOnlySpan<double> ht = tr.H.AsSpan(r * H, H);
            loss += StepLoss(spec, seq, r, tr.Y.AsSpan(r * O, O), dy);
            // into Why, By: y = Why·h + By
            for (int o = 0; o < O; o++)
            {
                dBy[o] += dy[o];
                for (int j = 0; j < H; j++) dWhy[o * H + j] += dy[o] * ht[j];
            }
            // into h_t: dh = Why^T·dy
            for (int j = 0; j < H; j++)
            {
                double sum = 0;
                for (int o = 0; o < O; o++) sum += Why[o * H + j] * dy[o];
                dh[j] = sum;
            }
            // back through steps s = t … f(t); h_{f(t)−1} is a constant
            int f = EarliestStep(scheme, t);
            for (int s = t; s >= f; s--)
            {
                int rs = s * B + b;
                ReadOnlySpan<double> hs = tr.H.AsSpan(rs * H, H);
                ReadOnlySpan<double> hPrev = s == 0 ? h0.Slice(b * H, H) : tr.H.AsSpan((rs - B) * H, H);
                Input(seq, rs, V, x);
                for (int i = 0; i < H; i++)
                {
                    da[i] = dh[i] * ActivationFunctions.PhiPrime(spec.Phi, hs[i]);   // through φ
                    dBh[i] += da[i];
                    for (int j = 0; j < V; j++) dWxh[i * V + j] += da[i] * x[j];
                    for (int j = 0; j < H; j++) dWhh[i * H + j] += da[i] * hPrev[j];
                }
                for (int j = 0; j < H; j++)                           // into h_{s−1}: dh = Whh^T·da
                {
                    double sum = 0;
                    for (int i = 0; i < H; i++) sum += Whh[i * H + j] * da[i];
                    dh[j] = sum;
                }
            }
        }
        return loss;
    }

    /// <summary>f(t), validated to lie in [0, t].</summary>
    private static int EarliestStep(TruncationScheme scheme, int t)
    {
        int f = scheme.EarliestStep(t);
        if (f < 0 || f > t) throw new ArgumentException($"{scheme}: f({t}) = {f} is outside [0, {t}].", nameof(scheme));
        return f;
    }

    /// <summary>One step of row r = t·B + b of the sequence (see <see cref="Step"/>).</summary>
    private static void StepRow(ModelSpec spec, ReadOnlySpan<double> w, Chunk seq, int r, ReadOnlySpan<double> hPrev, Span<double> a, Span<double> h)
    {
        int V = spec.Shape.V;
        if (seq.InputTokens is { } tokens) { Step(spec, w, tokens[r], default, hPrev, a, h); return; }
        Span<double> x = V <= 512 ? stackalloc double[V] : new double[V];
        Input(seq, r, V, x);
        Step(spec, w, -1, x, hPrev, a, h);
    }

    /// <summary>
    /// The double-precision forward step of one stream: a (H) = Wxh·x + Whh·hPrev + Bh, h (H) = φ(a).
    /// x is onehot(token) when token ≥ 0 (column token of Wxh), else the dense x (V). hPrev may alias h.
    /// </summary>
    public static void Step(ModelSpec spec, ReadOnlySpan<double> w, int token, ReadOnlySpan<double> x,
        ReadOnlySpan<double> hPrev, Span<double> a, Span<double> h)
    {
        ModelShape sh = spec.Shape;
        int V = sh.V, H = sh.H;
        for (int i = 0; i < H; i++)
        {
            double sum = w[sh.BhOffset + i];
            if (token >= 0) sum += w[sh.WxhOffset + i * V + token];
            else for (int j = 0; j < V; j++) sum += w[sh.WxhOffset + i * V + j] * x[j];
            for (int j = 0; j < H; j++) sum += w[sh.WhhOffset + i * H + j] * hPrev[j];
            a[i] = sum;
        }
        for (int i = 0; i < H; i++) h[i] = ActivationFunctions.Phi(spec.Phi, a[i]);
    }

    /// <summary>y (O) = Why·h + By, in double.</summary>
    public static void Output(ModelSpec spec, ReadOnlySpan<double> w, ReadOnlySpan<double> h, Span<double> y)
    {
        ModelShape sh = spec.Shape;
        for (int o = 0; o < sh.O; o++)
        {
            double sum = w[sh.ByOffset + o];
            for (int j = 0; j < sh.H; j++) sum += w[sh.WhyOffset + o * sh.H + j] * h[j];
            y[o] = sum;
        }
    }

    /// <summary>L of row r from its output y; when dy is non-empty also dy = ∂L/∂y.</summary>
    private static double StepLoss(ModelSpec spec, Chunk seq, int r, ReadOnlySpan<double> y, Span<double> dy)
    {
        int O = spec.Shape.O;
        if (spec.Loss == LossKind.SoftmaxCrossEntropy)
        {
            int target = seq.TargetTokens![r];
            double max = double.NegativeInfinity;
            foreach (double v in y) max = Math.Max(max, v);
            double z = 0;
            foreach (double v in y) z += Math.Exp(v - max);
            for (int o = 0; o < dy.Length; o++) dy[o] = Math.Exp(y[o] - max) / z - (o == target ? 1 : 0);
            return Math.Log(z) - (y[target] - max);                   // −log softmax(y)[target]
        }
        double loss = 0;
        for (int o = 0; o < O; o++)
        {
            double d = y[o] - seq.TargetVectors![r * O + o];
            loss += 0.5 * d * d;                                      // ½‖y − target‖²
            if (dy.Length > 0) dy[o] = d;
        }
        return loss;
    }

    /// <summary>x of row r: one-hot of the token, or the dense vector.</summary>
    private static void Input(Chunk seq, int r, int V, Span<double> x)
    {
        if (seq.InputTokens is { } tokens)
        {
            x.Clear();
            x[tokens[r]] = 1;
        }
        else for (int j = 0; j < V; j++) x[j] = seq.InputVectors![r * V + j];
    }

    private static void Check(ModelSpec spec, ReadOnlySpan<double> w, Chunk seq, ReadOnlySpan<double> h0)
    {
        ArgumentNullException.ThrowIfNull(spec);
        ChunkChecks.Check(seq, spec, seq.B, seq.MaxT);
        if (w.Length != spec.Shape.Count) throw new ArgumentException($"w has length {w.Length}, expected {spec.Shape.Count}.", nameof(w));
        if (h0.Length != seq.B * spec.Shape.H)
            throw new ArgumentException($"h0 has length {h0.Length}, expected B·H = {seq.B * spec.Shape.H}.", nameof(h0));
    }
}
