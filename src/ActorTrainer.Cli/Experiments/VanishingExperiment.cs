using System.Globalization;
using static System.FormattableString;
using ActorTrainer.Cli.Diagnostics;
using ActorTrainer.Core.Diagnostics;
using ActorTrainer.Cli.Reporting;
using ActorTrainer.Core.Reporting;
using ActorTrainer.Core.Rnn;

namespace ActorTrainer.Cli.Experiments;

/// <summary>Settings of the vanishing/exploding experiment.</summary>
internal sealed record VanishingSettings
{
    // Every value comes from the command line or its default in reference.conf (actortrainer.experiment.*).
    public required Activation[] Activations { get; init; }
    public required double[] Radii { get; init; }
    public required int Hidden { get; init; }
    /// <summary>K, the largest lag.</summary>
    public required int MaxLag { get; init; }
    /// <summary>Text windows averaged over; each holds Warmup + K + 1 characters.</summary>
    public required int Windows { get; init; }
    /// <summary>Steps run before the K measured ones, so that even lag K sees a state shaped by text, not h = 0.</summary>
    public required int Warmup { get; init; }
    public required int Seed { get; init; }

    public void Validate()
    {
        if (Activations.Length == 0) throw new ArgumentException("no activations given", nameof(Activations));
        if (Radii.Length == 0 || Radii.Any(r => !(r > 0) || double.IsInfinity(r)))
            throw new ArgumentException($"spectral radii must be finite and > 0, got {string.Join(",", Radii)}", nameof(Radii));
        if (MaxLag < 1) throw new ArgumentOutOfRangeException(nameof(MaxLag), MaxLag, "the maximum lag K must be ≥ 1");
        if (Windows < 1) throw new ArgumentOutOfRangeException(nameof(Windows), Windows, "at least one window is needed");
        if (Warmup < 0) throw new ArgumentOutOfRangeException(nameof(Warmup), Warmup, "the warm-up must be ≥ 0");
        if (Hidden < 1) throw new ArgumentOutOfRangeException(nameof(Hidden), Hidden, "H must be ≥ 1");
    }
}

/// <summary>
/// One (φ, ρ) configuration: the loss gradient ‖∂L_t/∂h_{t−k}‖ for k = 0..K (mean over windows, from each window's
/// last step), the Jacobian product ‖∂h_t/∂h_{t−k}‖₂ at the same anchors (geometric mean), and the per-step factor
/// (‖g_K‖/‖g_{K/2}‖)^{1/(K−K/2)} that the curve settles to.
/// </summary>
internal sealed record VanishingCurve(Activation Phi, double Radius, double MeasuredRadius, double[] GradNorm, double[] JacobianNorm)
{
    public int MaxLag => GradNorm.Length - 1;

    public double PerStepFactor
    {
        get
        {
            int K = MaxLag, half = K / 2;
            return GradNorm[K] > 0 && GradNorm[half] > 0 && K > half ? Math.Pow(GradNorm[K] / GradNorm[half], 1.0 / (K - half)) : double.NaN;
        }
    }

    public string Label => $"{ModelSource.Name(Phi)} rho={Radius.ToString("G3", CultureInfo.InvariantCulture)}";
}

/// <summary>
/// Vanishing vs exploding: the same seeded model, its W_hh rescaled to each spectral radius ρ, with identity and tanh φ,
/// measured on the same windows of real text. With identity φ the gradient at lag k is (W_hhᵀ)^k g_0, so it falls or
/// grows like ρ^k; tanh multiplies every step by φ' ≤ 1, so it vanishes at least as fast and explodes less.
/// </summary>
internal static class VanishingExperiment
{
    public static IReadOnlyList<VanishingCurve> Run(VanishingSettings s, string text, Action<string>? progress = null)
    {
        s.Validate();
        var corpus = Core.Data.CharCorpus.FromText(text, 0, "text");
        var windows = TextWindows.Take(text, corpus.Vocabulary, s.Windows, s.Warmup + s.MaxLag + 1);
        int T = s.Warmup + s.MaxLag;   // inputs per window; the last target is window[T]
        var curves = new List<VanishingCurve>();
        foreach (var phi in s.Activations)
            foreach (double rho in s.Radii)
            {
                var model = ModelSource.Fresh(corpus.Vocabulary, s.Hidden, phi, new WhhInit.SpectralRadius(rho), s.Seed);
                var spec = model.Spec;
                double measured = SpectralRadius.OfWhh(spec.Shape, model.W).Radius;
                // gradient from the last loss L_{T−1} (inputs window[0..T−1], target window[T]) back to h_{T−1−K}
                var grad = GradientLagProfile.Measure(spec, model.W, windows, s.MaxLag);
                // Jacobians at the same anchor t = T−1, over the T inputs of each window
                var inputs = windows.Select(w => w[..T]).ToList();
                var jac = JacobianProfile.Compute(spec, model.W, inputs, s.MaxLag, MatrixNorm.Spectral, anchorStride: T);
                var jn = new double[s.MaxLag + 1];
                jn[0] = 1; // ∂h_t/∂h_t = I
                for (int k = 1; k <= s.MaxLag; k++) jn[k] = jac.At(k).GeometricMean;
                var c = new VanishingCurve(phi, rho, measured, grad.NormByLag, jn);
                curves.Add(c);
                progress?.Invoke(Invariant($"{c.Label,-18} |g_0| {c.GradNorm[0]:G3}  |g_K| {c.GradNorm[^1]:G3}  per-step factor {c.PerStepFactor:G3}"));
            }
        return curves;
    }

    /// <summary>Long form: one row per (φ, ρ, lag).</summary>
    public static ReportTable ToTable(IReadOnlyList<VanishingCurve> curves)
    {
        var t = new ReportTable("phi", "radius", "lag", "grad_norm", "grad_rel", "jacobian_norm");
        foreach (var c in curves)
            for (int k = 0; k <= c.MaxLag; k++)
                t.Add(ModelSource.Name(c.Phi), c.Radius, k, c.GradNorm[k], c.GradNorm[k] / c.GradNorm[0], c.JacobianNorm[k]);
        return t;
    }

    /// <summary>One row per configuration: ρ asked and measured, ‖g‖ at lags 0, 10, K and the per-step factor.</summary>
    public static ReportTable ToSummary(IReadOnlyList<VanishingCurve> curves)
    {
        int K = curves[0].MaxLag, mid = Math.Min(10, K);
        var t = new ReportTable("phi", "radius", "measured_radius", "grad_lag0", $"grad_lag{mid}", $"grad_lag{K}", $"ratio_lag{K}_to_0", "per_step_factor");
        foreach (var c in curves)
            t.Add(ModelSource.Name(c.Phi), c.Radius, c.MeasuredRadius, c.GradNorm[0], c.GradNorm[mid], c.GradNorm[K], c.GradNorm[K] / c.GradNorm[0], c.PerStepFactor);
        return t;
    }

    public static LineChart ToPlot(IReadOnlyList<VanishingCurve> curves, VanishingSettings s)
    {
        var plot = new LineChart("vanishing: gradient norm ‖∂Lₜ/∂hₜ₋ₖ‖ vs lag k",
            Invariant($"fresh models, H = {s.Hidden}, W_hh rescaled to each radius ρ; mean over {s.Windows} text windows, seed {s.Seed}"),
            "lag k (steps)", "‖∂Lₜ/∂hₜ₋ₖ‖ (log scale)") { X = AxisScale.Integer, Y = AxisScale.Log10 };
        var radii = curves.Select(c => c.Radius).Distinct().ToList();
        var phis = curves.Select(c => c.Phi).Distinct().ToList();
        foreach (var c in curves) // colour: ρ; line style: φ
            plot.Add(Invariant($"{ModelSource.Name(c.Phi)}, ρ = {c.Radius:G3}"), Enumerable.Range(0, c.MaxLag + 1).Select(k => (double)k).ToArray(), DiagnosisReport.Positive(c.GradNorm),
                new LineChart.SeriesStyle(radii.IndexOf(c.Radius), phis.IndexOf(c.Phi)));
        return plot;
    }

    public static string Notes(VanishingSettings s, string source) => string.Join(" ",
        Invariant($"Fresh models (seed {s.Seed}, H = {s.Hidden}), W_hh rescaled to each spectral radius; {s.Windows} windows of"),
        Invariant($"{s.Warmup + s.MaxLag + 1} characters of {source} (the first {s.Warmup} steps warm the state up)."),
        "grad = ||dL_t/dh_(t-k)|| from each window's last prediction (mean over windows);",
        "per_step_factor = (grad_K / grad_(K/2))^(1/(K-K/2)), the rate the curve settles to (ρ for identity φ).");
}
