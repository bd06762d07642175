namespace ActorTrainer.Core.Rnn;

/// <summary>Per-step loss L_t.</summary>
public enum LossKind
{
    /// <summary>Softmax cross-entropy over O classes; targets are class indices (character LM).</summary>
    SoftmaxCrossEntropy,
    /// <summary>Mean squared error ½‖y_t − target_t‖² summed over O; targets are real vectors.</summary>
    MeanSquaredError,
}

/// <summary>Everything that fixes the function a W computes: shape, φ and loss.</summary>
public sealed record ModelSpec(ModelShape Shape, Activation Phi = Activation.Tanh, LossKind Loss = LossKind.SoftmaxCrossEntropy);
