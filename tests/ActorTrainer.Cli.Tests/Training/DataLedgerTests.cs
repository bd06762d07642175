using ActorTrainer.Cli.Training;

namespace ActorTrainer.Cli.Tests.Training;

/// <summary>The ledger read from metrics.csv rows: exact, a duplicate, a lost chunk.</summary>
public sealed class DataLedgerTests
{
    /// <summary>A metrics row: update, version, workers, chunks, then the other columns (not read).</summary>
    private static string[] Row(int update, string workers, string chunks) =>
        [$"{update}", $"{update}", workers, chunks, "1.0", "1.0", "0", "0", "10", "0.1"];

    [Fact]
    public void A_sync_run_that_applied_every_chunk_once_is_exact()
    {
        var ledger = DataLedger.Of([Row(1, "0;1", "0;0"), Row(2, "0;1", "1;1"), Row(3, "0;1", "2;2")]);

        Assert.True(ledger.IsExact, ledger.ToString());
        Assert.Equal([0L, 1, 2], ledger.Chunks[1]);
    }

    [Fact]
    public void Async_rows_in_any_order_are_exact_when_each_slot_is_contiguous()
    {
        var ledger = DataLedger.Of([Row(1, "1", "0"), Row(2, "0", "0"), Row(3, "1", "1"), Row(4, "0", "1"), Row(5, "0", "2")]);
        Assert.True(ledger.IsExact, ledger.ToString());
    }

    [Fact]
    public void A_chunk_applied_twice_is_a_duplicate()
    {
        var ledger = DataLedger.Of([Row(1, "0;1", "0;0"), Row(2, "0;1", "1;0"), Row(3, "0;1", "2;1")]);

        Assert.Equal([(1, 0L)], ledger.Duplicates);
        Assert.Empty(ledger.Lost);
        Assert.False(ledger.IsExact);
    }

    [Fact]
    public void A_chunk_never_applied_before_a_later_one_is_lost()
    {
        var ledger = DataLedger.Of([Row(1, "0;1", "0;0"), Row(2, "0;1", "1;2"), Row(3, "0;1", "2;4")]);

        Assert.Equal([(1, 1L), (1, 3L)], ledger.Lost);
        Assert.Empty(ledger.Duplicates);
    }

    [Fact]
    public void A_resumed_run_expects_chunks_from_its_checkpoint_on()
    {
        Assert.True(DataLedger.Of([Row(51, "0", "50"), Row(52, "0", "51")], firstChunk: 50).IsExact);
        Assert.Equal(50, DataLedger.Of([Row(1, "0", "0")]).Lost.Count + DataLedger.Of([Row(51, "0", "50")]).Lost.Count);
    }
}
