using ActorTrainer.Core.Rnn;

namespace ActorTrainer.Core.Tests.Diagnostics;

/// <summary>
/// An independent, literal double-precision Elman RNN (min-char-rnn style, plain loops) over the flat layout
/// [Wxh (H×V) | Whh (H×H) | Bh (H) | Why (O×H) | By (O)], for checking the diagnostics against.
/// Sequences: inputs seq[0..T−1] (one-hot), targets seq[1..T]; loss = mean over all predictions of softmax CE.
/// </summary>
internal sealed class LiteralRnn
{
    public readonly int V, H, O;
    public readonly Activation Phi;
    public readonly double[] W;

    public LiteralRnn(ModelSpec spec, float[] w)
    {
        V = spec.Shape.V; H = spec.Shape.H; O = spec.Shape.O; Phi = spec.Phi;
        W = w.Select(x => (double)x).ToArray();
    }

    private int WhhAt(int i, int j) => H * V + i * H + j;
    private double Wxh(int i, int v) => W[i * V + v];
    private double Whh(int i, int j) => W[WhhAt(i, j)];
    private double Bh(int i) => W[H * V + H * H + i];
    private double Why(int o, int i) => W[H * V + H * H + H + o * H + i];
    private double By(int o) => W[H * V + H * H + H + O * H + o];

    public double Act(double a) => Phi switch
    {
        Activation.Tanh => Math.Tanh(a),
        Activation.Identity => a,
        _ => Math.Max(0, a),
    };

    public double ActPrime(double a) => Phi switch
    {
        Activation.Tanh => 1 - Math.Tanh(a) * Math.Tanh(a),
        Activation.Identity => 1,
        _ => a > 0 ? 1 : 0,
    };

    public double[] PreActivation(double[] hPrev, int token)
    {
        var a = new double[H];
        for (int i = 0; i < H; i++)
        {
            double s = Wxh(i, token) + Bh(i);
            for (int j = 0; j < H; j++) s += Whh(i, j) * hPrev[j];
            a[i] = s;
        }
        return a;
    }

    public double[] Step(double[] hPrev, int token) => PreActivation(hPrev, token).Select(Act).ToArray();

    /// <summary>h_{−1} = h0 (default 0), then h_t for t = 0..n−1; returns states[t+1] = h_t, states[0] = h_{−1}.</summary>
    public double[][] States(int[] tokens, int n, double[]? h0 = null)
    {
        var hs = new double[n + 1][];
        hs[0] = h0 is null ? new double[H] : (double[])h0.Clone();
        for (int t = 0; t < n; t++) hs[t + 1] = Step(hs[t], tokens[t]);
        return hs;
    }

    /// <summary>Softmax CE of the output at h against target, and dL/dy.</summary>
    public (double Loss, double[] Dy) CrossEntropy(double[] h, int target)
    {
        var y = new double[O];
        for (int o = 0; o < O; o++)
        {
            double s = By(o);
            for (int i = 0; i < H; i++) s += Why(o, i) * h[i];
            y[o] = s;
        }
        double max = y.Max();
        var p = y.Select(x => Math.Exp(x - max)).ToArray();
        double z = p.Sum();
        for (int o = 0; o < O; o++) p[o] /= z;
        double loss = -Math.Log(p[target]);
        p[target] -= 1;
        return (loss, p);
    }

    /// <summary>Mean CE over all predictions of all sequences.</summary>
    public double Loss(IReadOnlyList<int[]> seqs)
    {
        double sum = 0; int n = 0;
        foreach (var s in seqs)
        {
            var hs = States(s, s.Length - 1);
            for (int t = 0; t < s.Length - 1; t++) { sum += CrossEntropy(hs[t + 1], s[t + 1]).Loss; n++; }
        }
        return sum / n;
    }

    /// <summary>Untruncated BPTT, literally: dhnext carried back, dWhh += da_t ⊗ h_{t−1}. Returns dWhh (H×H) of the mean loss.</summary>
    public double[] FullBpttDWhh(IReadOnlyList<int[]> seqs) => DWhh(seqs, recurrent: true);

    /// <summary>Gradient with h_{t−1} held constant in every L_t (no path back through time): Σ_t da_t ⊗ h_{t−1}, da_t = φ'(a_t)⊙Whyᵀdy_t.</summary>
    public double[] NoRecurrenceDWhh(IReadOnlyList<int[]> seqs) => DWhh(seqs, recurrent: false);

    private double[] DWhh(IReadOnlyList<int[]> seqs, bool recurrent)
    {
        int n = seqs.Sum(s => s.Length - 1);
        var dW = new double[H * H];
        foreach (var s in seqs)
        {
            int T = s.Length - 1;
            var hs = States(s, T);
            var dhNext = new double[H];
            for (int t = T - 1; t >= 0; t--)
            {
                var (_, dy) = CrossEntropy(hs[t + 1], s[t + 1]);
                var a = PreActivation(hs[t], s[t]);
                var da = new double[H];
                for (int i = 0; i < H; i++)
                {
                    double dh = dhNext[i];
                    for (int o = 0; o < O; o++) dh += Why(o, i) * dy[o] / n;
                    da[i] = ActPrime(a[i]) * dh;
                }
                for (int i = 0; i < H; i++)
                for (int j = 0; j < H; j++) dW[i * H + j] += da[i] * hs[t][j];
                if (!recurrent) continue;
                for (int j = 0; j < H; j++)
                {
                    double s2 = 0;
                    for (int i = 0; i < H; i++) s2 += Whh(i, j) * da[i];
                    dhNext[j] = s2;
                }
            }
        }
        return dW;
    }

    /// <summary>∂L/∂Whh[i,j] by central differences in double.</summary>
    public double FiniteDifferenceDWhh(IReadOnlyList<int[]> seqs, int i, int j, double eps = 1e-5)
    {
        int at = WhhAt(i, j);
        double keep = W[at];
        W[at] = keep + eps; double up = Loss(seqs);
        W[at] = keep - eps; double down = Loss(seqs);
        W[at] = keep;
        return (up - down) / (2 * eps);
    }

    /// <summary>∂h_t/∂h_{t−k} (H×H) by central differences: perturb h_{t−k}, rerun steps t−k+1..t.</summary>
    public double[] FiniteDifferenceJacobian(int[] tokens, int t, int k, double eps = 1e-6)
    {
        var hs = States(tokens, t + 1);
        var jac = new double[H * H];
        for (int j = 0; j < H; j++)
        {
            var up = (double[])hs[t - k + 1].Clone(); up[j] += eps;
            var down = (double[])hs[t - k + 1].Clone(); down[j] -= eps;
            for (int s = t - k + 1; s <= t; s++) { up = Step(up, tokens[s]); down = Step(down, tokens[s]); }
            for (int i = 0; i < H; i++) jac[i * H + j] = (up[i] - down[i]) / (2 * eps);
        }
        return jac;
    }

    /// <summary>
    /// ‖∂L_{T−1}/∂h_{T−1−k}‖₂ by central differences, for inputs tokens[0..T−1] from h0 and the last step's target:
    /// perturb h_{T−1−k}, rerun steps T−k..T−1, take the CE of the last output.
    /// </summary>
    public double LastLossGradientNormFd(int[] tokens, int T, int target, int k, double[]? h0 = null, double eps = 1e-6)
    {
        var hs = States(tokens, T, h0);
        double sq = 0;
        for (int j = 0; j < H; j++)
        {
            double Run(double delta)
            {
                var h = (double[])hs[T - k].Clone(); // h_{T−1−k}
                h[j] += delta;
                for (int s = T - k; s <= T - 1; s++) h = Step(h, tokens[s]);
                return CrossEntropy(h, target).Loss;
            }
            double d = (Run(eps) - Run(-eps)) / (2 * eps);
            sq += d * d;
        }
        return Math.Sqrt(sq);
    }
}
