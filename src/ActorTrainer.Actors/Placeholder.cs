namespace ActorTrainer.Actors; internal static class Placeholder { }
