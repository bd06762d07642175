namespace ActorTrainer.Cli.Scaling.Simulation;

/// <summary>One cost of the simulation's model: its value in seconds and where it came from (given,
/// measured how, or an assumed default), printed and recorded with every run.</summary>
public sealed record CostEstimate(string Name, double Seconds, string Source);
