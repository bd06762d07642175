namespace ActorTrainer.Cli; internal static class Placeholder { }
