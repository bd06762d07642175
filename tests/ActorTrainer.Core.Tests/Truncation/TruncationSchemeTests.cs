using ActorTrainer.Core.Truncation;

namespace ActorTrainer.Core.Tests.Truncation;

public class TruncationSchemeTests
{
    [Theory]
    [InlineData("full", new[] { 0, 0, 0, 0, 0, 0, 0 })]
    [InlineData("k(0)", new[] { 0, 1, 2, 3, 4, 5, 6 })]
    [InlineData("k(2)", new[] { 0, 0, 0, 1, 2, 3, 4 })]
    [InlineData("subsequence(1)", new[] { 0, 1, 2, 3, 4, 5, 6 })]
    [InlineData("subsequence(3)", new[] { 0, 0, 0, 3, 3, 3, 6 })]
    public void Earliest_step_is_f_of_t_as_defined(string scheme, int[] f)
    {
        TruncationScheme s = Rnn.BpttReferenceTests.Parse(scheme);
        Assert.Equal(f, Enumerable.Range(0, f.Length).Select(s.EarliestStep));
    }

    [Fact]
    public void Depths_that_define_no_scheme_are_rejected()
    {
        Assert.Equal(-1, Assert.Throws<ArgumentOutOfRangeException>(() => new TruncationScheme.KStep(-1)).ActualValue);
        Assert.Equal(0, Assert.Throws<ArgumentOutOfRangeException>(() => new TruncationScheme.Subsequence(0)).ActualValue);
    }
}
