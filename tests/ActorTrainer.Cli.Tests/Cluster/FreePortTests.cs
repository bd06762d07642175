using System.Net;
using System.Net.Sockets;
using ActorTrainer.Cli.Cluster;

namespace ActorTrainer.Cli.Tests.Cluster;

/// <summary>Ports for nodes: outside the range where outgoing connections and port-0 listeners take theirs, never twice.</summary>
public sealed class FreePortTests
{
    [Theory]
    [InlineData(32768, 60999, "20768-32767,61000-65535", true)] // Linux's default
    [InlineData(49152, 65535, "37152-49151", true)]             // IANA's
    [InlineData(1024, 60999, "61000-65535", true)]
    [InlineData(2000, 65535, "1024-1999", true)]
    [InlineData(1024, 65535, "1024-65535", false)]              // nothing outside: every unprivileged port
    public void Candidates_are_the_ports_outside_the_ephemeral_range(int low, int high, string expected, bool outside)
    {
        var ranges = NodePorts.Candidates(low, high, out bool isOutside);
        Assert.Equal(expected, string.Join(",", ranges.Select(r => $"{r.From}-{r.To}")));
        Assert.Equal(outside, isOutside);
    }

    [Fact]
    public void Indices_run_through_the_ranges_end_to_end()
    {
        (int, int)[] ranges = [(10, 12), (20, 21)];
        Assert.Equal(5, NodePorts.Count(ranges));
        Assert.Equal([10, 11, 12, 20, 21], Enumerable.Range(0, 5).Select(i => NodePorts.At(ranges, i)));
        Assert.Throws<ArgumentOutOfRangeException>(() => NodePorts.At(ranges, 5));
    }

    [Fact]
    public void Ports_are_distinct_bindable_and_outside_this_machines_ephemeral_range_where_it_leaves_room()
    {
        var (low, high) = NodePorts.EphemeralRange();
        NodePorts.Candidates(low, high, out bool outside);
        var ports = Enumerable.Range(0, 200).Select(_ => NodeProcess.FreePort()).ToList();

        Assert.Equal(ports.Count, ports.Distinct().Count());
        Assert.All(ports, p => Assert.InRange(p, NodePorts.FirstUnprivileged, NodePorts.Last));
        if (outside) Assert.All(ports, p => Assert.True(p < low || p > high, $"{p} is in the ephemeral range {low}-{high}"));
        foreach (int port in ports.Take(20))
        {
            var listener = new TcpListener(IPAddress.Loopback, port);
            listener.Server.SetSocketOption(SocketOptionLevel.Socket, SocketOptionName.ReuseAddress, false);
            listener.Start(); // throws if the port was not free
            listener.Stop();
        }
    }
}
