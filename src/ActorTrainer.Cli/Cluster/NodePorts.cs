namespace ActorTrainer.Cli.Cluster;

/// <summary>
/// Where a node's port is picked: outside the kernel's ephemeral range, which outgoing connections and
/// port-0 listeners take theirs from, so that no client socket of another test can take it between the
/// pick and the node's bind (docs/testing.md).
/// </summary>
public static class NodePorts
{
    public const int FirstUnprivileged = 1024;
    public const int Last = 65535;
    private const int BelowWidth = 12_000; // the ports just below the range; lower ones are where well-known services live

    /// <summary>The ports to pick from, given the ephemeral range [<paramref name="low"/>, <paramref name="high"/>]:
    /// the 12,000 below it and all above it. Where the range leaves no port outside it (e.g. 1024–65535),
    /// every unprivileged port, and <paramref name="outside"/> is false.</summary>
    public static (int From, int To)[] Candidates(int low, int high, out bool outside)
    {
        var ranges = new List<(int, int)>();
        if (low > FirstUnprivileged) ranges.Add((Math.Max(FirstUnprivileged, low - BelowWidth), low - 1));
        if (high < Last) ranges.Add((Math.Max(FirstUnprivileged, high + 1), Last));
        outside = ranges.Count > 0;
        return outside ? [.. ranges] : [(FirstUnprivileged, Last)];
    }

    /// <summary>The i-th port (0-based) of <paramref name="ranges"/> taken end to end.</summary>
    public static int At((int From, int To)[] ranges, int i)
    {
        foreach (var (from, to) in ranges)
        {
            if (i <= to - from) return from + i;
            i -= to - from + 1;
        }
        throw new ArgumentOutOfRangeException(nameof(i));
    }

    public static int Count((int From, int To)[] ranges) => ranges.Sum(r => r.To - r.From + 1);

    /// <summary>The kernel's ephemeral range (Linux: /proc/sys/net/ipv4/ip_local_port_range); elsewhere IANA's 49152–65535.</summary>
    public static (int Low, int High) EphemeralRange()
    {
        try
        {
            var parts = File.ReadAllText("/proc/sys/net/ipv4/ip_local_port_range").Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries);
            if (parts.Length == 2 && int.TryParse(parts[0], System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out int low)
                && int.TryParse(parts[1], System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out int high)
                && low >= 1 && low <= high && high <= Last)
                return (low, high);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException) { }
        return (49152, Last);
    }
}
