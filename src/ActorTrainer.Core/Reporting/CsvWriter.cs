using System.Globalization;
using System.Text;

namespace ActorTrainer.Core.Reporting;

/// <summary>
/// Append-only CSV log with a fixed header (RFC 4180 quoting, invariant culture, '\n' line ends),
/// flushed after every row so a crash loses at most the row being written and other processes can
/// follow the file while it grows. Appending to an existing file requires its header to match.
/// Numbers are written in their shortest round-trip invariant form (0.1, 1E-05, NaN, Infinity).
/// Not thread-safe.
/// </summary>
public sealed class CsvWriter : IDisposable
{
    private readonly StreamWriter writer;

    public string Path { get; }
    public IReadOnlyList<string> Header { get; }

    /// <summary>
    /// Opens path for appending, writing the header if the file is new or empty. InvalidDataException
    /// if the file already starts with a different header. A torn last line (no final newline) is
    /// ended first so the next row starts on its own line.
    /// </summary>
    public CsvWriter(string path, IReadOnlyList<string> header)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(path);
        ArgumentNullException.ThrowIfNull(header);
        if (header.Count == 0) throw new ArgumentException("a CSV header needs at least one column", nameof(header));
        if (header.Distinct(StringComparer.Ordinal).Count() != header.Count)
            throw new ArgumentException($"duplicate column in CSV header: {string.Join(",", header)}", nameof(header));
        Path = System.IO.Path.GetFullPath(path);
        Header = header.ToArray();
        string headerLine = FormatRow(Header);

        bool existing = File.Exists(Path) && new FileInfo(Path).Length > 0;
        bool needsNewline = false;
        if (existing)
        {
            string? first;
            using (var reader = new StreamReader(Path, Encoding.UTF8)) first = reader.ReadLine();
            if (first != headerLine)
                throw new InvalidDataException($"CSV file '{Path}' has header '{first}' but this log writes '{headerLine}'; use a new file");
            using var fs = new FileStream(Path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite);
            fs.Seek(-1, SeekOrigin.End);
            needsNewline = fs.ReadByte() != '\n';
        }
        var stream = new FileStream(Path, FileMode.Append, FileAccess.Write, FileShare.Read);
        writer = new StreamWriter(stream, new UTF8Encoding(encoderShouldEmitUTF8Identifier: false)) { NewLine = "\n" };
        if (needsNewline) writer.WriteLine();
        if (!existing) writer.WriteLine(headerLine);
        writer.Flush();
    }

    /// <summary>Writes one row (one value per header column) and flushes. ArgumentException on a wrong count.</summary>
    public void WriteRow(params object?[] values)
    {
        ArgumentNullException.ThrowIfNull(values);
        if (values.Length != Header.Count)
            throw new ArgumentException($"row has {values.Length} values but the CSV header has {Header.Count} columns ({string.Join(",", Header)})", nameof(values));
        writer.WriteLine(FormatRow(values.Select(FormatValue).ToArray()));
        writer.Flush();
    }

    public void Dispose() => writer.Dispose();

    /// <summary>Invariant text of a value: "" for null, shortest round-trip for numbers, "true"/"false" for booleans.</summary>
    public static string FormatValue(object? v) => v switch
    {
        null => "",
        string s => s,
        bool b => b ? "true" : "false",
        IFormattable f => f.ToString(null, CultureInfo.InvariantCulture),
        _ => v.ToString() ?? "",
    };

    /// <summary>Fields joined by commas; a field with a comma, quote, CR or LF is quoted with quotes doubled.</summary>
    public static string FormatRow(IReadOnlyList<string> fields) => string.Join(",", fields.Select(Quote));

    private static string Quote(string field) =>
        field.AsSpan().IndexOfAny(",\"\r\n") >= 0 ? "\"" + field.Replace("\"", "\"\"") + "\"" : field;
}
