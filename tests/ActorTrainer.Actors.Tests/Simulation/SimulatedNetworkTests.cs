using ActorTrainer.Actors.Simulation;

namespace ActorTrainer.Actors.Tests.Simulation;

public sealed class SimulatedNetworkTests
{
    private static readonly NodeId W0 = NodeId.Worker(0), W1 = NodeId.Worker(1), S0 = NodeId.Shard(0);

    [Fact]
    public void A_lone_message_takes_latency_plus_its_bytes_over_the_bandwidth()
    {
        var net = new SimulatedNetwork(new NetworkCosts(0.5, 100));
        Assert.Equal(10 + 0.5 + 2, net.Send(W0, S0, 200, now: 10), 12);
    }

    [Fact]
    public void Messages_from_one_sender_leave_its_port_one_after_the_other()
    {
        var net = new SimulatedNetwork(new NetworkCosts(0.5, 100));
        Assert.Equal(2.5, net.Send(S0, W0, 200, 0), 12);
        Assert.Equal(4.5, net.Send(S0, W1, 200, 0), 12); // waits 2 s for the first to leave
    }

    [Fact]
    public void Messages_to_one_receiver_enter_its_port_one_after_the_other()
    {
        var net = new SimulatedNetwork(new NetworkCosts(0.5, 100));
        Assert.Equal(2.5, net.Send(W0, S0, 200, 0), 12);
        Assert.Equal(4.5, net.Send(W1, S0, 200, 0), 12); // its bytes follow the first's into the server
        Assert.Equal(5.5, net.Send(W0, S0, 100, 3), 12);  // left at 3, its 1 s of bytes in behind the second's
    }

    [Fact]
    public void Without_network_costs_and_from_or_to_the_observer_messages_arrive_at_once()
    {
        var none = new SimulatedNetwork(NetworkCosts.None);
        Assert.Equal(7, none.Send(W0, S0, 1_000_000, 7));
        var slow = new SimulatedNetwork(new NetworkCosts(1, 1));
        Assert.Equal(7, slow.Send(NodeId.Observer, S0, 1_000_000, 7));
    }

    [Fact]
    public void Between_nodes_on_one_core_a_message_arrives_at_once_and_leaves_the_ports_free()
    {
        var placement = new CorePlacement(2); // worker 0 and shard 0 on core 0, worker 1 on core 1
        var net = new SimulatedNetwork(new NetworkCosts(0.5, 100), (a, b) => placement.CoreOf(a, 2) == placement.CoreOf(b, 2));
        Assert.Equal(3, net.Send(W0, S0, 200, 3));
        Assert.Equal(2.5, net.Send(W1, S0, 200, 0), 12); // across cores: latency and bytes, its port not taken by the first
    }
}
