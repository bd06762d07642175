using ActorTrainer.Actors.ParameterServer;

namespace ActorTrainer.Actors.Cluster;

/// <summary>Immutable, self-validating settings of the cluster parameter server.</summary>
public sealed record ClusterRunSettings
{
    /// <summary>The parameter server's own rules (mode, quorum = <see cref="Slots"/>, max updates, snapshots for validation).</summary>
    public ServerSettings Server { get; }
    /// <summary>What every worker node must match to join.</summary>
    public RunFingerprint Fingerprint { get; }
    /// <summary>G: slots (workers) of the run; slot g owns streams [g·B, (g+1)·B).</summary>
    public int Slots { get; }
    /// <summary>B: streams per slot.</summary>
    public int StreamsPerSlot { get; }
    /// <summary>Send the observer a <see cref="ServerCheckpoint"/> every this many updates (0 = only at the end).</summary>
    public int CheckpointEvery { get; }

    public ClusterRunSettings(ServerSettings server, RunFingerprint fingerprint, int slots, int streamsPerSlot, int checkpointEvery)
    {
        ArgumentNullException.ThrowIfNull(server);
        ArgumentNullException.ThrowIfNull(fingerprint);
        if (slots <= 0) throw new ArgumentOutOfRangeException(nameof(slots), slots, "a run needs at least one slot");
        if (streamsPerSlot <= 0) throw new ArgumentOutOfRangeException(nameof(streamsPerSlot), streamsPerSlot, "streams per slot must be positive");
        if (checkpointEvery < 0) throw new ArgumentOutOfRangeException(nameof(checkpointEvery), checkpointEvery, "checkpoint interval must be ≥ 0");
        if (server.StartQuorum != slots)
            throw new ArgumentException($"the server's start quorum {server.StartQuorum} must equal the slot count {slots}", nameof(server));
        if (server.Fingerprint != fingerprint.Model)
            throw new ArgumentException($"the server's model {server.Fingerprint} differs from the run's {fingerprint.Model}", nameof(fingerprint));
        Server = server; Fingerprint = fingerprint; Slots = slots; StreamsPerSlot = streamsPerSlot; CheckpointEvery = checkpointEvery;
    }
}
