using ActorTrainer.Core.Rnn;

namespace ActorTrainer.Core.Tests.Rnn;

public class MatrixNormsTests
{
    [Fact]
    public void Spectral_radius_of_a_diagonal_matrix_is_its_largest_absolute_entry()
    {
        float[] m = [0.5f, 0, 0, 0, -1.7f, 0, 0, 0, 1.2f];
        Assert.Equal(1.7, MatrixNorms.SpectralRadius(m, 3, 200), 6);
    }

    [Fact]
    public void Spectral_radius_of_a_non_normal_triangular_matrix_is_its_largest_diagonal_entry()
    {
        // eigenvalues 0.9, −0.6, 0.3; large off-diagonal entries make ‖M‖₂ ≫ ρ
        float[] m = [0.9f, 5f, -3f, 0, -0.6f, 4f, 0, 0, 0.3f];
        Assert.Equal(0.9, MatrixNorms.SpectralRadius(m, 3, 400), 3);
    }

    [Fact]
    public void Spectral_radius_with_a_complex_dominant_pair_is_its_modulus()
    {
        // 1.1 × rotation by 1 rad ⊕ 0.5: eigenvalues 1.1·e^{±i}, 0.5
        float c = (float)(1.1 * Math.Cos(1)), s = (float)(1.1 * Math.Sin(1));
        float[] m = [c, -s, 0, s, c, 0, 0, 0, 0.5f];
        Assert.Equal(1.1, MatrixNorms.SpectralRadius(m, 3, 400), 3);
    }

    [Fact]
    public void Spectral_radius_of_a_nilpotent_matrix_is_zero()
    {
        Assert.Equal(0, MatrixNorms.SpectralRadius([0, 1, 0, 0], 2, 10));
    }

    [Fact]
    public void Spectral_radius_rejects_a_non_square_length()
    {
        Assert.Throws<ArgumentException>(() => MatrixNorms.SpectralRadius(new float[5], 2, 10));
        Assert.Throws<ArgumentOutOfRangeException>(() => MatrixNorms.SpectralRadius(new float[4], 2, 1));
    }
}
