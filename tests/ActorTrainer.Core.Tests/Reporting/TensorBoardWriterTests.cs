using System.Text;
using ActorTrainer.Core.Reporting;

namespace ActorTrainer.Core.Tests.Reporting;

public sealed class TensorBoardWriterTests : IDisposable
{
    private readonly string dir = Directory.CreateTempSubdirectory("tensorboard-tests-").FullName;

    public void Dispose() => Directory.Delete(dir, recursive: true);

    /// <summary>A clock that reads what the test sets.</summary>
    private sealed class ManualClock(DateTimeOffset now) : TimeProvider
    {
        public DateTimeOffset Now { get; set; } = now;
        public override DateTimeOffset GetUtcNow() => Now;
    }

    private static readonly DateTimeOffset T0 = new(2026, 12, 4, 17, 0, 0, TimeSpan.Zero);

    [Fact]
    public void Crc32C_matches_the_published_check_value_and_the_bitwise_definition()
    {
        // 0xE3069283 is CRC-32C's check value (the CRC of the ASCII digits 1..9), as catalogued for iSCSI/Castagnoli.
        Assert.Equal(0xE3069283u, TensorBoardRecord.Crc32C("123456789"u8));
        Assert.Equal(0xE3069283u, TensorBoardReader.ReferenceCrc32C("123456789"u8));
        var rng = new Random(5);
        for (int n = 0; n < 300; n += 7)
        {
            var data = new byte[n];
            rng.NextBytes(data);
            Assert.Equal(TensorBoardReader.ReferenceCrc32C(data), TensorBoardRecord.Crc32C(data));
            Assert.Equal(TensorBoardReader.Masked(data), TensorBoardRecord.MaskedCrc32C(data));
        }
    }

    [Fact]
    public void Record_framing_is_length_masked_crc_data_masked_crc()
    {
        var ms = new MemoryStream();
        TensorBoardRecord.Write(ms, "abc"u8);
        byte[] b = ms.ToArray();
        Assert.Equal(8 + 4 + 3 + 4, b.Length);
        Assert.Equal(3ul, BitConverter.ToUInt64(b, 0));
        Assert.Equal(TensorBoardReader.Masked(b.AsSpan(0, 8)), BitConverter.ToUInt32(b, 8));
        Assert.Equal("abc", Encoding.ASCII.GetString(b, 12, 3));
        Assert.Equal(TensorBoardReader.Masked("abc"u8), BitConverter.ToUInt32(b, 15));
    }

    [Fact]
    public void Events_read_back_with_tags_steps_values_and_wall_times()
    {
        var clock = new ManualClock(T0);
        string path;
        using (var w = new TensorBoardWriter(dir, clock))
        {
            path = w.Path;
            clock.Now = T0.AddSeconds(1.5);
            w.AddScalars(1, [("loss/train", 4.25f), ("grad_norm/pre_clip", 12.5f)]);
            clock.Now = T0.AddSeconds(2);
            w.AddScalars(2, [("loss/train", 3.75f)]);
            w.AddHistogram("staleness", 2, TensorBoardEvent.Histogram.OfCounts([3, 0, 2])!);
        }

        Assert.Equal(dir, Path.GetDirectoryName(path));
        Assert.StartsWith($"events.out.tfevents.{T0.ToUnixTimeSeconds()}.", Path.GetFileName(path));
        var events = TensorBoardReader.Read(path);
        Assert.Equal(4, events.Count);
        Assert.Equal("brain.Event:2", events[0].FileVersion);
        Assert.Equal(T0.ToUnixTimeSeconds(), events[0].WallTime);
        Assert.Empty(events[0].Values);

        Assert.Equal(1, events[1].Step);
        Assert.Equal(T0.ToUnixTimeSeconds() + 1.5, events[1].WallTime);
        Assert.Equal(new[] { ("loss/train", (float?)4.25f), ("grad_norm/pre_clip", 12.5f) }, events[1].Values.Select(v => (v.Tag, v.Simple)));
        Assert.Equal(2, events[2].Step);
        Assert.Equal(3.75f, Assert.Single(events[2].Values).Simple);

        var h = Assert.Single(events[3].Values);
        Assert.Equal("staleness", h.Tag);
        Assert.Null(h.Simple);
        Assert.NotNull(h.Histogram);
        Assert.Equal((0.0, 2.0, 5.0, 4.0, 8.0), (h.Histogram!.Min, h.Histogram.Max, h.Histogram.Num, h.Histogram.Sum, h.Histogram.SumSquares));
        Assert.Equal(new[] { 0.5, 1.5, 2.5 }, h.Histogram.Limits);
        Assert.Equal(new[] { 3.0, 0.0, 2.0 }, h.Histogram.Buckets);
    }

    [Fact]
    public void A_flipped_byte_anywhere_fails_the_reader()
    {
        // The reader is the test's judge of the framing: it must notice damage in each part of a record.
        string path;
        using (var w = new TensorBoardWriter(dir, new ManualClock(T0))) { path = w.Path; w.AddScalars(7, [("x", 1f)]); }
        byte[] good = File.ReadAllBytes(path);
        Assert.Equal(2, TensorBoardReader.ReadRecords(good).Count);
        int second = 16 + (int)BitConverter.ToUInt64(good, 0);
        foreach (int at in new[] { 0, 9, 14, second - 1, second + 3, second + 10, good.Length - 1 })
        {
            byte[] bad = (byte[])good.Clone();
            bad[at] ^= 0x10;
            Assert.Throws<InvalidDataException>(() => TensorBoardReader.ReadRecords(bad));
        }
    }

    [Fact]
    public void A_second_writer_in_the_same_second_gets_its_own_file()
    {
        using var a = new TensorBoardWriter(dir, new ManualClock(T0));
        using var b = new TensorBoardWriter(dir, new ManualClock(T0));
        Assert.NotEqual(a.Path, b.Path);
        Assert.StartsWith(a.Path, b.Path);
        Assert.Contains("tfevents", Path.GetFileName(b.Path));
    }

    [Fact]
    public void Integer_histogram_buckets_are_centred_on_the_integers()
    {
        // No bucket for 0: it is below the smallest value (1), where TensorBoard's first bucket starts.
        var h = TensorBoardEvent.Histogram.OfCounts([0, 4, 0, 1])!;
        Assert.Equal(new[] { 1.5, 2.5, 3.5 }, h.BucketLimits);
        Assert.Equal(new[] { 4.0, 0.0, 1.0 }, h.BucketCounts);
        Assert.Equal((1.0, 3.0, 5.0, 7.0, 13.0), (h.Min, h.Max, h.Num, h.Sum, h.SumSquares));
        Assert.Null(TensorBoardEvent.Histogram.OfCounts([0, 0]));
        Assert.Throws<ArgumentOutOfRangeException>(() => TensorBoardEvent.Histogram.OfCounts([1, -1]));
    }
}
