using System.Globalization;
using ActorTrainer.Core.Data;
using ActorTrainer.Core.Diagnostics;
using ActorTrainer.Core.Reporting;
using ActorTrainer.Core.Rnn;

namespace ActorTrainer.Cli.Diagnostics;

/// <summary>Settings of the vanishing/exploding experiment: the grid of φ × ρ(W_hh) and how much text it averages over.</summary>
internal sealed record VanishingOptions(
    Activation[] Activations, double[] Radii, int Hidden = 64, int MaxLag = 30, int Windows = 4, int AnchorStride = 10, int Seed = 1)
{
    public int Length => 3 * MaxLag;
}

/// <summary>
/// Experiment 1, vanishing vs exploding: for each φ and each spectral radius r, a fresh seeded model whose W_hh is
/// rescaled to ρ(W_hh) = r, and on real text the Jacobian product ‖∂h_t/∂h_{t−k}‖₂ (geometric mean over anchors t)
/// and the loss gradient ‖∂L_t/∂h_{t−k}‖ relative to lag 0, for k = 1..K. Linear φ: the norm follows ρ^k
/// (up to the non-normality of W_hh); tanh only shrinks it further (|φ'| ≤ 1).
/// </summary>
internal static class VanishingExperiment
{
    public static ExperimentResult Run(CharCorpus corpus, VanishingOptions o, TextWriter progress)
    {
        var windows = TextWindows.Take(corpus.Text, corpus.Vocabulary, o.Windows, o.Length);
        var table = new ReportTable("phi", "rho", "lag", "jacobian_geomean", "jacobian_min", "jacobian_max", "grad_rel");
        var plot = new LinePlot($"||dh_t/dh_(t-k)|| vs lag k (H={o.Hidden}, real text)", "lag k", "norm (log scale)") { LogY = true };
        for (int p = 0; p < o.Activations.Length; p++)
            for (int i = 0; i < o.Radii.Length; i++)
            {
                var phi = o.Activations[p];
                double r = o.Radii[i];
                // one hue per radius; the second φ's lines are the lighter shade of the first's
                var color = Rgb.Palette[i % Rgb.Palette.Count].Lighten(Math.Min(0.6, 0.45 * p));
                var m = ModelSource.Fresh(corpus.Vocabulary, o.Hidden, phi, new WhhInit.SpectralRadius(r), o.Seed);
                var jac = JacobianProfile.Compute(m.Spec, m.W, windows, o.MaxLag, MatrixNorm.Spectral, o.AnchorStride);
                var grad = GradientLagProfile.Measure(m.Spec, m.W, windows, o.MaxLag);
                var ys = new double[o.MaxLag];
                for (int k = 1; k <= o.MaxLag; k++)
                {
                    var s = jac.At(k);
                    double g0 = grad.NormByLag[0];
                    table.Add(ModelSource.Name(phi), r, k, s.GeometricMean, s.Min, s.Max, g0 > 0 ? grad.NormByLag[k] / g0 : double.NaN);
                    ys[k - 1] = s.GeometricMean;
                }
                plot.AddSeries($"{ModelSource.Name(phi)}, rho={F(r)}", Enumerable.Range(1, o.MaxLag).Select(k => (double)k).ToArray(),
                    DiagnosisReport.Positive(ys), color);
                progress.WriteLine($"vanishing: phi={ModelSource.Name(phi)} rho={F(r)}: ||dh_t/dh_(t-{o.MaxLag})|| = {ys[^1]:G3}");
            }
        string notes = $"Fresh models (V={corpus.Vocabulary.Size}, H={o.Hidden}, seed {o.Seed}) with W_hh rescaled to each spectral radius; " +
            $"{o.Windows} windows of {o.Length} characters of {corpus.Source}. jacobian_* = ||dh_t/dh_(t-k)||_2 over anchors t " +
            "(geometric mean, min, max); grad_rel = ||dL_t/dh_(t-k)|| / ||dL_t/dh_t|| (last step of each window, mean).";
        return new ExperimentResult("vanishing", "vanishing vs exploding: gradient norm vs lag", notes, table, plot);
    }

    private static string F(double x) => x.ToString("G3", CultureInfo.InvariantCulture);
}
