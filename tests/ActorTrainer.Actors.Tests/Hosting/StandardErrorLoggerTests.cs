using ActorTrainer.Actors.Hosting;
using Akka.Event;
using Akka.Remote;

namespace ActorTrainer.Actors.Tests.Hosting;

/// <summary>What the node's stderr logger writes for a peer that went away, and for anything else.</summary>
public sealed class StandardErrorLoggerTests
{
    /// <summary>Akka.Remote's own (internal) exception for a peer that ended the association.</summary>
    private static Exception Disassociated() =>
        (Exception)Activator.CreateInstance(typeof(RemoteTransportException).Assembly.GetType("Akka.Remote." + StandardErrorLogger.PeerGoneException, throwOnError: true)!,
            "Disassociated")!;

    private static Exception Thrown(Exception e)
    {
        try { throw e; }
        catch (Exception caught) { return caught; } // with a stack trace, as Akka logs them
    }

    [Fact]
    public void A_disassociated_peer_is_one_line_without_the_stack_trace()
    {
        var error = new Error(Thrown(Disassociated()), "endpointWriter", typeof(object), "Disassociated");
        // Akka's warning carries the exception's text, stack included, inside its message
        var warning = new Warning("reliableEndpointWriter", typeof(object),
            "Association with remote system akka.ssl.tcp://actortrainer@10.0.0.1:4053 has failed; address is now gated for 1000 ms. Reason is: ["
            + Thrown(Disassociated()) + "]");

        foreach (var e in new LogEvent[] { error, warning })
        {
            Assert.Contains("\n", e.ToString()); // what Akka's own text would have been
            string written = StandardErrorLogger.Render(e);
            Assert.DoesNotContain("\n", written);
            Assert.Contains("Disassociated", written);
        }
    }

    [Fact]
    public void Other_errors_keep_their_stack_trace()
    {
        var error = new Error(Thrown(new InvalidOperationException("a real bug")), "server", typeof(object), "the server failed");
        string written = StandardErrorLogger.Render(error);
        Assert.Equal(error.ToString(), written);
        Assert.Contains(nameof(Thrown), written); // the frame is there
    }
}
