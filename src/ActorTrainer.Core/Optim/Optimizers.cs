namespace ActorTrainer.Core.Optim;

/// <summary>Creates optimizers by name with their default hyper-parameters.</summary>
public static class Optimizers
{
    /// <summary>The names <see cref="Create"/> accepts.</summary>
    public static IReadOnlyList<string> Names { get; } = ["sgd", "momentum", "adagrad", "adam"];

    /// <summary>
    /// "sgd", "momentum" (μ = 0.9), "adagrad" (ε = 1e-8) or "adam" (β1 = 0.9, β2 = 0.999, ε = 1e-8),
    /// case-insensitive. ArgumentException for an unknown name (listing the known ones) or a
    /// learning rate that is negative, NaN or infinite.
    /// </summary>
    public static Optimizer Create(string name, float lr)
    {
        ArgumentNullException.ThrowIfNull(name);
        Optimizer.ValidateLearningRate(lr);
        return name.Trim().ToLowerInvariant() switch
        {
            "sgd" => new Sgd(lr),
            "momentum" => new Momentum(lr),
            "adagrad" => new Adagrad(lr),
            "adam" => new Adam(lr),
            _ => throw new ArgumentException($"unknown optimizer '{name}'; expected one of: {string.Join(", ", Names)}", nameof(name)),
        };
    }
}
