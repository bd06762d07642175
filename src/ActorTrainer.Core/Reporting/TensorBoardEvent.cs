using Google.Protobuf;

namespace ActorTrainer.Core.Reporting;

/// <summary>
/// The few TensorBoard protobuf messages a run writes, encoded by hand with field numbers from
/// TensorFlow's event.proto and summary.proto (no generated code):
/// <code>
/// Event          { double wall_time = 1; int64 step = 2; string file_version = 3; Summary summary = 5; }
/// Summary        { repeated Value value = 1; }
/// Summary.Value  { string tag = 1; float simple_value = 2; HistogramProto histo = 5; }
/// HistogramProto { double min = 1; double max = 2; double num = 3; double sum = 4; double sum_squares = 5;
///                  repeated double bucket_limit = 6 [packed]; repeated double bucket = 7 [packed]; }
/// </code>
/// </summary>
public static class TensorBoardEvent
{
    /// <summary>What the first event of every file says, so readers know the format.</summary>
    public const string FileVersion = "brain.Event:2";

    /// <summary>A histogram: bucket i counts values in (BucketLimits[i−1], BucketLimits[i]] (the first from −∞).</summary>
    public sealed record Histogram(double Min, double Max, double Num, double Sum, double SumSquares,
                                   double[] BucketLimits, double[] BucketCounts)
    {
        /// <summary>
        /// A histogram of integer values from counts[v] = how many were v (v ≥ 0): one bucket per value
        /// from the smallest to the largest present, with limits at v + ½, so each bucket is centred on
        /// its integer. (TensorBoard takes the first bucket's left edge from Min, so no bucket may lie
        /// below it.) Null when every count is 0.
        /// </summary>
        public static Histogram? OfCounts(IReadOnlyList<long> counts)
        {
            ArgumentNullException.ThrowIfNull(counts);
            int min = -1, max = -1;
            double num = 0, sum = 0, sumSquares = 0;
            for (int v = 0; v < counts.Count; v++)
            {
                if (counts[v] < 0) throw new ArgumentOutOfRangeException(nameof(counts), counts[v], $"count of {v} is negative");
                if (counts[v] == 0) continue;
                if (min < 0) min = v;
                max = v;
                num += counts[v];
                sum += (double)v * counts[v];
                sumSquares += (double)v * v * counts[v];
            }
            if (max < 0) return null;
            var limits = new double[max - min + 1];
            var buckets = new double[max - min + 1];
            for (int v = min; v <= max; v++) { limits[v - min] = v + 0.5; buckets[v - min] = counts[v]; }
            return new Histogram(min, max, num, sum, sumSquares, limits, buckets);
        }
    }

    /// <summary>The file_version event that starts a file.</summary>
    public static byte[] FileVersionEvent(double wallTime) => Message(o =>
    {
        WriteHeader(o, wallTime, step: 0);
        o.WriteTag(3, WireFormat.WireType.LengthDelimited);
        o.WriteString(FileVersion);
    });

    /// <summary>One event holding scalar values (tag, value) at a step.</summary>
    public static byte[] ScalarsEvent(double wallTime, long step, IReadOnlyList<(string Tag, float Value)> scalars)
    {
        ArgumentNullException.ThrowIfNull(scalars);
        return SummaryEvent(wallTime, step, scalars.Select(s => Message(v =>
        {
            v.WriteTag(1, WireFormat.WireType.LengthDelimited);
            v.WriteString(s.Tag);
            v.WriteTag(2, WireFormat.WireType.Fixed32);
            v.WriteFloat(s.Value);
        })));
    }

    /// <summary>One event holding a histogram at a step.</summary>
    public static byte[] HistogramEvent(double wallTime, long step, string tag, Histogram h)
    {
        ArgumentNullException.ThrowIfNull(h);
        if (h.BucketLimits.Length != h.BucketCounts.Length)
            throw new ArgumentException($"{h.BucketLimits.Length} bucket limits but {h.BucketCounts.Length} counts", nameof(h));
        byte[] histo = Message(p =>
        {
            WriteDouble(p, 1, h.Min);
            WriteDouble(p, 2, h.Max);
            WriteDouble(p, 3, h.Num);
            WriteDouble(p, 4, h.Sum);
            WriteDouble(p, 5, h.SumSquares);
            WritePackedDoubles(p, 6, h.BucketLimits);
            WritePackedDoubles(p, 7, h.BucketCounts);
        });
        return SummaryEvent(wallTime, step, [Message(v =>
        {
            v.WriteTag(1, WireFormat.WireType.LengthDelimited);
            v.WriteString(tag);
            WriteMessage(v, 5, histo);
        })]);
    }

    private static byte[] SummaryEvent(double wallTime, long step, IEnumerable<byte[]> values)
    {
        byte[] summary = Message(s =>
        {
            foreach (byte[] value in values) WriteMessage(s, 1, value);
        });
        return Message(o =>
        {
            WriteHeader(o, wallTime, step);
            WriteMessage(o, 5, summary);
        });
    }

    private static void WriteHeader(CodedOutputStream o, double wallTime, long step)
    {
        WriteDouble(o, 1, wallTime);
        o.WriteTag(2, WireFormat.WireType.Varint);
        o.WriteInt64(step);
    }

    private static void WriteDouble(CodedOutputStream o, int field, double value)
    {
        o.WriteTag(field, WireFormat.WireType.Fixed64);
        o.WriteDouble(value);
    }

    private static void WritePackedDoubles(CodedOutputStream o, int field, double[] values)
    {
        o.WriteTag(field, WireFormat.WireType.LengthDelimited);
        o.WriteLength(values.Length * sizeof(double));
        foreach (double v in values) o.WriteDouble(v);
    }

    private static void WriteMessage(CodedOutputStream o, int field, byte[] message)
    {
        o.WriteTag(field, WireFormat.WireType.LengthDelimited);
        o.WriteBytes(ByteString.CopyFrom(message));
    }

    private static byte[] Message(Action<CodedOutputStream> write)
    {
        using var ms = new MemoryStream();
        using (var o = new CodedOutputStream(ms, leaveOpen: true))
        {
            write(o);
            o.Flush();
        }
        return ms.ToArray();
    }
}
