using System.Numerics;

namespace ActorTrainer.Core.Rnn;

/// <summary>φ, the hidden non-linearity. Defined in <see cref="ActivationFunctions"/>, next to this list.</summary>
public enum Activation { Tanh, Identity, Relu }

/// <summary>
/// φ, once: the only definitions of each activation and its derivative, generic so the float engine and
/// the double reference and diagnostics share them. Adding an activation is its name above and one arm in
/// each switch here; the span kernels (<see cref="Kernels.Activations"/>) fall back to these where they
/// have no vector path.
/// </summary>
public static class ActivationFunctions
{
    /// <summary>h = φ(a).</summary>
    public static T Phi<T>(Activation phi, T a) where T : IFloatingPointIeee754<T> => phi switch
    {
        Activation.Tanh => T.Tanh(a),
        Activation.Relu => T.Max(a, T.Zero),        // IEEE max: NaN propagates
        Activation.Identity => a,
        _ => throw Unknown(phi),
    };

    /// <summary>φ'(a) written in h = φ(a), so pre-activations need not be kept: tanh 1−h², relu [h &gt; 0], identity 1.</summary>
    public static T PhiPrime<T>(Activation phi, T h) where T : IFloatingPointIeee754<T> => phi switch
    {
        Activation.Tanh => T.One - h * h,
        Activation.Relu => h > T.Zero ? T.One : T.Zero,
        Activation.Identity => T.One,
        _ => throw Unknown(phi),
    };

    internal static ArgumentOutOfRangeException Unknown(Activation phi) => new(nameof(phi), phi, $"Unknown activation {phi}.");
}
