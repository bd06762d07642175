using System.Globalization;
using ActorTrainer.Core.Reporting;

namespace ActorTrainer.Core.Tests.Reporting;

public sealed class CsvWriterTests : IDisposable
{
    private readonly string dir = Directory.CreateTempSubdirectory("csv-tests-").FullName;

    public void Dispose() => Directory.Delete(dir, recursive: true);

    private string PathOf(string name) => Path.Combine(dir, name);

    [Fact]
    public void Round_trip_uses_invariant_culture_whatever_the_current_culture()
    {
        var previous = CultureInfo.CurrentCulture;
        var comma = (CultureInfo)CultureInfo.InvariantCulture.Clone();
        comma.NumberFormat.NumberDecimalSeparator = ",";
        comma.NumberFormat.NumberGroupSeparator = ".";
        try
        {
            CultureInfo.CurrentCulture = comma;
            string path = PathOf("log.csv");
            using (var csv = new CsvWriter(path, ["step", "loss", "lr", "note"]))
            {
                csv.WriteRow(1, 2.5f, 1e-5, "plain");
                csv.WriteRow(2L, 0.1, 0.001m, "has, comma and \"quotes\"\nand a newline");
                csv.WriteRow(3, double.NaN, null, true);
            }
            var rows = CsvReader.ReadAll(path);
            Assert.Equal(4, rows.Count);
            Assert.Equal(new[] { "step", "loss", "lr", "note" }, rows[0]);
            Assert.Equal(new[] { "1", "2.5", "1E-05", "plain" }, rows[1]);
            Assert.Equal(new[] { "2", "0.1", "0.001", "has, comma and \"quotes\"\nand a newline" }, rows[2]);
            Assert.Equal(new[] { "3", "NaN", "", "true" }, rows[3]);
            Assert.Equal(2.5, double.Parse(rows[1][1], CultureInfo.InvariantCulture));
        }
        finally
        {
            CultureInfo.CurrentCulture = previous;
        }
    }

    [Fact]
    public void Every_row_is_on_disk_before_the_writer_is_closed()
    {
        string path = PathOf("live.csv");
        using var csv = new CsvWriter(path, ["a", "b"]);
        csv.WriteRow(1, 2);
        using var fs = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite);
        using var reader = new StreamReader(fs);
        Assert.Equal("a,b\n1,2\n", reader.ReadToEnd());
    }

    [Fact]
    public void Reopening_appends_after_the_existing_rows_without_repeating_the_header()
    {
        string path = PathOf("append.csv");
        using (var csv = new CsvWriter(path, ["a", "b"])) csv.WriteRow(1, 2);
        using (var csv = new CsvWriter(path, ["a", "b"])) csv.WriteRow(3, 4);
        Assert.Equal("a,b\n1,2\n3,4\n", File.ReadAllText(path));
    }

    [Fact]
    public void Torn_last_line_is_ended_before_appending()
    {
        string path = PathOf("torn.csv");
        File.WriteAllText(path, "a,b\n1,2\n3,");
        using (var csv = new CsvWriter(path, ["a", "b"])) csv.WriteRow(5, 6);
        Assert.Equal("a,b\n1,2\n3,\n5,6\n", File.ReadAllText(path));
    }

    [Fact]
    public void Different_existing_header_is_refused()
    {
        string path = PathOf("other.csv");
        File.WriteAllText(path, "x,y\n1,2\n");
        var ex = Assert.Throws<InvalidDataException>(() => new CsvWriter(path, ["a", "b"]));
        Assert.Contains("x,y", ex.Message);
        Assert.Contains("a,b", ex.Message);
        Assert.Equal("x,y\n1,2\n", File.ReadAllText(path));
    }

    [Fact]
    public void Row_with_wrong_number_of_values_is_rejected()
    {
        using var csv = new CsvWriter(PathOf("n.csv"), ["a", "b"]);
        var ex = Assert.Throws<ArgumentException>(() => csv.WriteRow(1, 2, 3));
        Assert.Contains("3 values", ex.Message);
    }

    [Fact]
    public void Header_must_be_non_empty_and_distinct()
    {
        Assert.Throws<ArgumentException>(() => new CsvWriter(PathOf("e.csv"), []));
        Assert.Throws<ArgumentException>(() => new CsvWriter(PathOf("d.csv"), ["a", "a"]));
    }

    [Fact]
    public void Reader_rejects_an_unterminated_quote()
    {
        Assert.Throws<FormatException>(() => CsvReader.Parse("a,\"b\n"));
    }
}
