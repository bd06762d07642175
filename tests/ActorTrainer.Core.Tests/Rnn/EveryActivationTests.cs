using ActorTrainer.Core.Diagnostics;
using ActorTrainer.Core.Rnn;
using ActorTrainer.Core.Tests.TestUtil;
using ActorTrainer.Core.Tests.Truncation;
using ActorTrainer.Core.Truncation;

namespace ActorTrainer.Core.Tests.Rnn;

/// <summary>
/// Every value of <see cref="Activation"/> (the enum enumerated, so a new one is covered without editing this
/// file) through every forward: the engine, the double reference, the diagnostics' RNN and the sampler agree,
/// and φ' agrees with φ by central differences. An activation defined in one of them but not in
/// <see cref="ActivationFunctions"/> fails here.
/// </summary>
public class EveryActivationTests
{
    public static TheoryData<Activation> All() => new(Enum.GetValues<Activation>());

    [Theory, MemberData(nameof(All))]
    public void Engine_gradient_matches_the_reference(Activation phi)
    {
        RnnProblem p = EngineMatchesReferenceTests.Problem(phi, LossKind.SoftmaxCrossEntropy, b: 2, n: 6);
        EngineMatchesReferenceTests.AssertEngineMatchesReference(p, new TruncationScheme.KStep(2), [3, 3]);
    }

    [Theory, MemberData(nameof(All))]
    public void Diagnostics_forward_is_the_reference_forward_and_its_phi_prime_is_the_slope_of_phi(Activation phi)
    {
        RnnProblem p = EngineMatchesReferenceTests.Problem(phi, LossKind.SoftmaxCrossEntropy, b: 1, n: 5);
        double[] h0 = p.H0D;
        var trace = new DoubleRnn(p.Spec, p.W).ForwardTokens(p.Seq.InputTokens.AsSpan(0, 5), h0);
        var reference = BpttReference.Forward(p.Spec, p.WD, p.Seq, h0);
        Assert.Equal(reference.H, trace.Hs.AsSpan(p.Spec.Shape.H).ToArray());

        // φ'(a) against (φ(a+ε) − φ(a−ε)) / 2ε: the truncation error is O(ε²·φ''') ≈ 1e-12 at ε = 1e-6 and the
        // rounding error O(1e-16/ε) ≈ 1e-10, so 1e-7 separates a right derivative from a wrong one (they differ
        // by O(1)). Relu's kink at 0 is not hit: the pre-activations are random doubles.
        const double eps = 1e-6;
        for (int i = 0; i < trace.A.Length; i++)
        {
            double a = trace.A[i];
            double slope = (ActivationFunctions.Phi(phi, a + eps) - ActivationFunctions.Phi(phi, a - eps)) / (2 * eps);
            Assert.True(Math.Abs(slope - trace.DPhi[i]) < 1e-7, $"{phi}: φ'({a}) = {trace.DPhi[i]}, slope {slope}");
        }
    }

    [Theory, MemberData(nameof(All))]
    public void Sampler_feeds_back_the_argmax_of_the_reference_outputs(Activation phi)
    {
        RnnProblem p = EngineMatchesReferenceTests.Problem(phi, LossKind.SoftmaxCrossEntropy, b: 1, n: 1);
        int[] seed = [1, 3];
        int[] sampled = Sampler.Sample(p.Spec, p.W, seed, count: 6, temperature: 0, new Random(1));

        // the reference forward over seed + samples, from h = 0: step t's argmax is the token fed in at t+1
        int[] fed = [.. seed, .. sampled];
        int n = fed.Length - 1, O = p.Spec.Shape.O;
        var seq = Chunk.ForTokens(1, n);
        fed.AsSpan(0, n).CopyTo(seq.InputTokens);
        var y = BpttReference.Forward(p.Spec, p.WD, seq, new double[p.Spec.Shape.H]).Y;
        for (int t = seed.Length - 1; t < n; t++)
        {
            var row = y.AsSpan(t * O, O);
            Assert.True(row.IndexOf(row.ToArray().Max()) == fed[t + 1], $"{phi}: step {t} fed {fed[t + 1]}, reference argmax {row.IndexOf(row.ToArray().Max())}");
        }
    }
}
