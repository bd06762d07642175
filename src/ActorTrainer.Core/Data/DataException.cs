namespace ActorTrainer.Core.Data;

/// <summary>
/// A problem with the user's data (missing or empty corpus file, too little text for the requested
/// layout, ...). The message is meant to be shown to the user as is: it says what and where.
/// </summary>
public sealed class DataException : Exception
{
    public DataException(string message) : base(message) { }
    public DataException(string message, Exception inner) : base(message, inner) { }
}
