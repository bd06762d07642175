namespace ActorTrainer.Actors;

/// <summary>
/// Marker for every message the trainer's actors exchange. The serialization HOCON binds it to
/// Hyperion; the three tensor-carrying messages are bound by their exact type to
/// <see cref="Serialization.TensorMessageSerializer"/> (an exact binding wins over an interface one).
/// </summary>
public interface ITrainerMessage;

/// <summary>Marker for what the parameter server and workers report to the observer (the
/// coordinator): updates, rejections, workers joining or leaving, completion.</summary>
public interface ITrainerEvent : ITrainerMessage;
