using System.Net;
using System.Net.Sockets;
using ActorTrainer.Cli.Cluster;

namespace ActorTrainer.Cli.Tests.Cluster;

/// <summary>Ports for nodes: outside the range where outgoing connections and port-0 listeners take theirs, never twice.</summary>
public sealed class FreePortTests
{
    [Fact]
    public void Ports_are_distinct_bindable_and_below_the_kernels_ephemeral_range()
    {
        if (!OperatingSystem.IsLinux()) return; // the range is read from /proc
        int low = int.Parse(File.ReadAllText("/proc/sys/net/ipv4/ip_local_port_range").Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries)[0],
            System.Globalization.CultureInfo.InvariantCulture);
        var ports = Enumerable.Range(0, 200).Select(_ => NodeProcess.FreePort()).ToList();

        Assert.Equal(ports.Count, ports.Distinct().Count());
        Assert.All(ports, p => Assert.InRange(p, 1024, low - 1));
        foreach (int port in ports.Take(20))
        {
            var listener = new TcpListener(IPAddress.Loopback, port);
            listener.Server.SetSocketOption(SocketOptionLevel.Socket, SocketOptionName.ReuseAddress, false);
            listener.Start(); // throws if the port was not free
            listener.Stop();
        }
    }
}
