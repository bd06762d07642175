using System.Globalization;
using System.Text;
using ActorTrainer.Core.Diagnostics;
using ActorTrainer.Cli.Reporting;
using ActorTrainer.Core.Reporting;

namespace ActorTrainer.Cli.Diagnostics;

/// <summary>
/// How much the model lets an early state matter, lag by lag (k = 0 … K):
/// the Jacobian product ‖∂h_t/∂h_{t−k}‖₂ over anchors t (mean, geometric mean, min, max) next to ρ(W_hh)^k;
/// the loss gradient ‖∂L_t/∂h_{t−k}‖ relative to lag 0 (from each window's last step, mean over windows);
/// and the piece C_k of the full-BPTT dW_hh that flows through exactly k steps of recurrence,
/// ‖C_k‖_F and its share ‖C_k‖_F/‖dW_hh‖_F. Lag 0 is the identity (norm 1) and C_0 the no-time-travel part.
/// </summary>
internal sealed record DiagnosisRow(int Lag, int Samples, double JacobianMean, double JacobianGeoMean,
    double JacobianMin, double JacobianMax, double RhoPowK, double GradientNorm, double GradientRelative,
    double WhhContribution, double WhhShare);

/// <summary>The result of <see cref="Diagnosis.Run"/>: one row per lag and the model-wide numbers.</summary>
internal sealed record DiagnosisReport(string Model, string Data, SpectralEstimate Rho, IReadOnlyList<DiagnosisRow> Rows,
    double WhhTailNorm, double WhhFullNorm, double MeanLoss, int Predictions)
{
    public ReportTable ToTable()
    {
        var t = new ReportTable("lag", "samples", "jacobian_mean", "jacobian_geomean", "jacobian_min", "jacobian_max", "rho_pow_k",
            "grad_norm", "grad_rel", "dwhh_lag_norm", "dwhh_lag_share");
        foreach (var r in Rows)
            t.Add(r.Lag, r.Samples, r.JacobianMean, r.JacobianGeoMean, r.JacobianMin, r.JacobianMax, r.RhoPowK,
                r.GradientNorm, r.GradientRelative, r.WhhContribution, r.WhhShare);
        return t;
    }

    /// <summary>The lines above the table: model, data, ρ, the dW_hh totals and how to read the columns.</summary>
    public string Summary()
    {
        var sb = new StringBuilder();
        sb.Append("model: ").AppendLine(Model);
        sb.Append("data: ").AppendLine(Data);
        sb.Append("spectral radius of W_hh: ").Append(F(Rho.Radius))
          .AppendLine(Rho.Converged ? $" (power iteration converged in {Rho.Iterations} iterations)" : $" (NOT converged after {Rho.Iterations} iterations; best estimate)");
        sb.Append("full-BPTT dW_hh: ||dW_hh||_F = ").Append(F(WhhFullNorm)).Append(", lags > K together ").Append(F(WhhTailNorm))
          .Append(", mean CE loss ").Append(F(MeanLoss)).Append(" over ").Append(Predictions).AppendLine(" predictions");
        sb.AppendLine("columns: jacobian_* = ||dh_t/dh_(t-k)||_2 over anchors t; rho_pow_k = rho(W_hh)^k; grad_norm = ||dL_t/dh_(t-k)|| " +
                      "(last step of each window, mean), grad_rel = grad_norm / grad_norm at lag 0; dwhh_lag_norm = ||C_k||_F, the part of " +
                      "dW_hh through exactly k recurrent steps, dwhh_lag_share = ||C_k||_F / ||dW_hh||_F");
        return sb.ToString();
    }

    public LineChart ToPlot()
    {
        double[] lags = Rows.Select(r => (double)r.Lag).ToArray();
        return new LineChart($"diagnose: gradient vs lag, ρ(W_hh) = {Rho.Radius.ToString("G3", CultureInfo.InvariantCulture)}",
                $"{Model}; {Data}", "lag k (steps)", "norm, relative (log scale)") { X = AxisScale.Integer, Y = AxisScale.Log10 }
            .Add("‖∂hₜ/∂hₜ₋ₖ‖ (geometric mean)", lags, Positive(Rows.Select(r => r.JacobianGeoMean)))
            .AddReference("ρ(W_hh)ᵏ", lags, Positive(Rows.Select(r => r.RhoPowK)), LineChart.ReferenceStyle.GreyDashed)
            .Add("‖∂Lₜ/∂hₜ₋ₖ‖ ÷ lag 0", lags, Positive(Rows.Select(r => r.GradientRelative)))
            .Add("‖Cₖ‖ ÷ ‖dW_hh‖ (Frobenius)", lags, Positive(Rows.Select(r => r.WhhShare)));
    }

    /// <summary>A log axis cannot show 0 (a dead ReLU path, ρ = 0): those points become gaps.</summary>
    internal static double[] Positive(IEnumerable<double> ys) => ys.Select(y => y > 0 ? y : double.NaN).ToArray();

    private static string F(double x) => x.ToString("G6", CultureInfo.InvariantCulture);
}

/// <summary>Settings of a diagnosis: K, and the text windows it averages over.</summary>
internal sealed record DiagnosisOptions(int MaxLag = 40, int Windows = 8, int Length = 120, int AnchorStride = 10)
{
    public void Validate()
    {
        if (MaxLag < 1) throw new ArgumentOutOfRangeException(nameof(MaxLag), MaxLag, "the maximum lag K must be ≥ 1");
        if (Windows < 1) throw new ArgumentOutOfRangeException(nameof(Windows), Windows, "at least one text window is needed");
        if (Length < MaxLag + 1)
            throw new ArgumentOutOfRangeException(nameof(Length), Length, $"windows must hold at least K+1 = {MaxLag + 1} characters");
        if (AnchorStride < 1) throw new ArgumentOutOfRangeException(nameof(AnchorStride), AnchorStride, "the anchor stride must be ≥ 1");
    }
}

/// <summary>The `diagnose` computation: Jacobians, ρ, loss gradients and dW_hh per lag, on real text windows.</summary>
internal static class Diagnosis
{
    public static DiagnosisReport Run(DiagnosedModel model, string text, string textSource, DiagnosisOptions o)
    {
        o.Validate();
        var windows = TextWindows.Take(text, model.Vocabulary, o.Windows, o.Length);
        var spec = model.Spec;
        int K = o.MaxLag;

        var rho = SpectralRadius.OfWhh(spec.Shape, model.W);
        var jac = JacobianProfile.Compute(spec, model.W, windows, K, MatrixNorm.Spectral, o.AnchorStride);
        var grad = GradientLagProfile.Measure(spec, model.W, windows, K);  // inputs window[0..T−1], last target window[T]
        var whh = WhhGradientByLag.Compute(spec, model.W, windows, K);

        var rows = new List<DiagnosisRow>(K + 1);
        for (int k = 0; k <= K; k++)
        {
            // lag 0: ∂h_t/∂h_t = I, norm 1 exactly
            var j = k == 0 ? null : jac.At(k);
            double g0 = grad.NormByLag[0];
            rows.Add(new DiagnosisRow(k, j?.Samples ?? jac.At(1).Samples,
                j?.Mean ?? 1, j?.GeometricMean ?? 1, j?.Min ?? 1, j?.Max ?? 1,
                Math.Pow(rho.Radius, k), grad.NormByLag[k], g0 > 0 ? grad.NormByLag[k] / g0 : double.NaN,
                whh.NormByLag[k], whh.FullNorm > 0 ? whh.NormByLag[k] / whh.FullNorm : double.NaN));
        }
        string data = $"{textSource}: {o.Windows} windows of {o.Length} characters, Jacobians at every {o.AnchorStride}th position t ≥ K-1";
        return new DiagnosisReport(model.Description, data, rho, rows, whh.TailNorm, whh.FullNorm, whh.Loss, whh.Predictions);
    }
}
