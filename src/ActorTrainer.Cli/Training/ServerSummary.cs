using System.Text.Json;
using System.Text.Json.Serialization;
using ActorTrainer.Actors.Coordinator;
using ActorTrainer.Actors.ParameterServer;

namespace ActorTrainer.Cli.Training;

/// <summary>
/// <c>server.json</c> in a ps node's run directory, written once the run has ended: the parameter
/// server's final counters and its own measured load, for tools that read a finished run (`scale
/// --launcher cluster`). Keys (snake_case): reason, updates, version, gradients_applied, rejections
/// (count by reason), rejections_total, non_finite_reports, staleness_max, staleness_mean,
/// staleness_histogram ([s] = applied gradients of staleness s; the last bucket is everything at or
/// above its index), busy_s / elapsed_s / busy_fraction (the server actor's time in message handlers
/// out of its lifetime), messages_handled, tensor_bytes_received / tensor_bytes_sent (gradients in;
/// registrations and weights out, once per worker node, at their serialized length), gc_gen2 (the ps
/// process's full garbage collections). The load fields are null if the server sent no load report.
/// </summary>
public sealed record ServerSummary
{
    public const string FileName = "server.json";

    private static readonly JsonSerializerOptions Json = new()
    {
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
        WriteIndented = true,
        NumberHandling = JsonNumberHandling.AllowNamedFloatingPointLiterals,
    };

    public required string Reason { get; init; }
    public required long Updates { get; init; }
    public required long Version { get; init; }
    public required long GradientsApplied { get; init; }
    public required IReadOnlyDictionary<string, long> Rejections { get; init; }
    public required long RejectionsTotal { get; init; }
    public required long NonFiniteReports { get; init; }
    public required long StalenessMax { get; init; }
    public required double StalenessMean { get; init; }
    public required long[] StalenessHistogram { get; init; }
    [JsonPropertyName("busy_s")] public double? BusySeconds { get; init; }
    [JsonPropertyName("elapsed_s")] public double? ElapsedSeconds { get; init; }
    public double? BusyFraction { get; init; }
    public long? MessagesHandled { get; init; }
    public long? TensorBytesReceived { get; init; }
    public long? TensorBytesSent { get; init; }
    [JsonPropertyName("gc_gen2")] public required int Gen2Collections { get; init; }

    public static ServerSummary From(TrainingResult result, ServerLoadReported? load, int gen2Collections)
    {
        ArgumentNullException.ThrowIfNull(result);
        var s = result.Stats;
        return new ServerSummary
        {
            Reason = result.Reason.ToString(),
            Updates = s.Updates,
            Version = result.Version,
            GradientsApplied = s.GradientsApplied,
            Rejections = Enum.GetValues<RejectionReason>().ToDictionary(r => r.ToString(), s.Rejections),
            RejectionsTotal = s.TotalRejections,
            NonFiniteReports = s.NonFiniteReports,
            StalenessMax = s.MaxStaleness,
            StalenessMean = s.MeanStaleness,
            StalenessHistogram = s.StalenessHistogram.ToArray(),
            BusySeconds = load?.BusySeconds,
            ElapsedSeconds = load?.ElapsedSeconds,
            BusyFraction = load?.BusyFraction,
            MessagesHandled = load?.MessagesHandled,
            TensorBytesReceived = load?.TensorBytesReceived,
            TensorBytesSent = load?.TensorBytesSent,
            Gen2Collections = gen2Collections,
        };
    }

    public string ToJson() => JsonSerializer.Serialize(this, Json);

    /// <summary>Writes <see cref="FileName"/> into <paramref name="directory"/> atomically.</summary>
    public void Write(string directory) => RunDirectory.AtomicWrite(Path.Combine(directory, FileName), ToJson());

    /// <summary>Parses a server.json; InvalidDataException naming what is wrong otherwise.</summary>
    public static ServerSummary Parse(string json, string source = FileName)
    {
        try
        {
            return JsonSerializer.Deserialize<ServerSummary>(json, Json) ?? throw new InvalidDataException($"{source} is empty (null)");
        }
        catch (JsonException e)
        {
            throw new InvalidDataException($"{source} is not a server summary: {e.Message}", e);
        }
    }

    public static ServerSummary Read(string path) => Parse(File.ReadAllText(path), path);
}
