using ActorTrainer.Core.Diagnostics;
using static ActorTrainer.Core.Tests.Diagnostics.DiagTestKit;

namespace ActorTrainer.Core.Tests.Diagnostics;

public class MatrixNormsTests
{
    [Fact]
    public void Largest_singular_value_of_U_Sigma_Vt_is_largest_sigma()
    {
        int n = 6;
        double[] sigma = { 0.2, 3.0, 2.95, 1.0, 0.0, 0.7 };
        var a = Mul(Mul(Householder(n, 1), Diag(sigma), n), Householder(n, 2), n);
        AssertClose(3.0, MatrixNorms.LargestSingularValue(ToFloat(a), n, n), 1e-6, "σ_max");
        AssertClose(Math.Sqrt(sigma.Sum(s => s * s)), MatrixNorms.Frobenius(ToFloat(a)), 1e-6, "Frobenius");
    }

    [Fact]
    public void Largest_singular_value_of_rectangular_matrix_matches_its_square_gram()
    {
        // A (3×5) = first 3 rows of U·diag·V; AAᵀ (3×3) is symmetric PSD with eigenvalues σ²
        int n = 5;
        var full = Mul(Mul(Householder(n, 3), Diag(2.0, -0.5, 0.1, 4.0, 1.0), n), Householder(n, 4), n);
        var a = full.Take(15).ToArray();
        var gram = new double[9];
        for (int i = 0; i < 3; i++)
        for (int j = 0; j < 3; j++)
            for (int p = 0; p < 5; p++) gram[i * 3 + j] += a[i * 5 + p] * a[j * 5 + p];
        double lambdaMax = SpectralRadius.Estimate(gram, 3).Radius;
        AssertClose(Math.Sqrt(lambdaMax), MatrixNorms.LargestSingularValue(ToFloat(a), 3, 5), 1e-6, "σ_max 3×5");
    }

    [Fact]
    public void Non_normal_matrix_norm_exceeds_its_spectral_radius()
    {
        var a = new float[] { 0.5f, 10f, 0f, 0.5f }; // ρ = 0.5; AᵀA has trace 100.5, det 0.0625
        double expected = Math.Sqrt((100.5 + Math.Sqrt(100.5 * 100.5 - 4 * 0.0625)) / 2); // from AᵀA eigenvalues
        AssertClose(expected, MatrixNorms.LargestSingularValue(a, 2, 2), 1e-9, "‖A‖₂");
        AssertClose(0.5, SpectralRadius.Estimate(a, 2).Radius, 1e-9, "ρ");
    }

    [Fact]
    public void Zero_matrix_has_zero_norms()
    {
        Assert.Equal(0.0, MatrixNorms.LargestSingularValue(new float[6], 2, 3));
        Assert.Equal(0.0, MatrixNorms.Frobenius(new float[6]));
    }

    [Fact]
    public void Wrong_length_throws()
    {
        var ex = Assert.Throws<ArgumentException>(() => MatrixNorms.LargestSingularValue(new float[5], 2, 3));
        Assert.Contains("5", ex.Message);
    }
}
