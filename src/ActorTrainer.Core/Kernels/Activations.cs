using ActorTrainer.Core.Rnn;

namespace ActorTrainer.Core.Kernels;

/// <summary>
/// Fast elementwise φ (forward) and φ' (backward) over spans; same results as
/// <see cref="ActivationsReference"/> up to float rounding.
/// </summary>
public static class Activations
{
    /// <summary>h = φ(a) elementwise; a and h may be the same span. Throws if the lengths differ.</summary>
    public static void Forward(Activation phi, ReadOnlySpan<float> a, Span<float> h)
        => ActivationsReference.Forward(phi, a, h);

    /// <summary>
    /// da = dh ⊙ φ'(a), with φ' computed from h = φ(a): tanh 1−h², relu (h&gt;0 ? 1 : 0), identity 1.
    /// da may alias dh. Throws if the lengths differ.
    /// </summary>
    public static void Backward(Activation phi, ReadOnlySpan<float> h, ReadOnlySpan<float> dh, Span<float> da)
        => ActivationsReference.Backward(phi, h, dh, da);

    internal static void CheckSameLength(int expected, int actual, string name)
    {
        if (actual != expected)
            throw new ArgumentException($"{name} has length {actual}, expected {expected}.", name);
    }

    internal static ArgumentOutOfRangeException Unknown(Activation phi)
        => new(nameof(phi), phi, $"Unknown activation {phi}.");
}
