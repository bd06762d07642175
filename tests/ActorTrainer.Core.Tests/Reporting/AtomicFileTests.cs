using System.Text;
using ActorTrainer.Core.Reporting;

namespace ActorTrainer.Core.Tests.Reporting;

public sealed class AtomicFileTests : IDisposable
{
    private readonly string dir = Directory.CreateTempSubdirectory("atomic-file-tests-").FullName;

    public void Dispose() => Directory.Delete(dir, recursive: true);

    private string PathOf(string name) => Path.Combine(dir, name);

    private void AssertNoTempFiles() =>
        Assert.Empty(Directory.EnumerateFiles(dir, "*.tmp", SearchOption.AllDirectories));

    [Fact]
    public void Text_is_written_as_utf8_without_a_bom()
    {
        const string text = "日本 e\u0301 😀\n";
        AtomicFile.WriteAllText(PathOf("t.txt"), text);
        Assert.Equal(new UTF8Encoding(false).GetBytes(text), File.ReadAllBytes(PathOf("t.txt")));
        AssertNoTempFiles();
    }

    [Fact]
    public void Text_with_a_lone_surrogate_throws_and_leaves_the_old_file_and_no_temp_file()
    {
        // The crash of issue 14: half an emoji reached the writer. Now it writes nothing at all.
        AtomicFile.WriteAllText(PathOf("sample.txt"), "old");
        var ex = Assert.Throws<ArgumentException>(() => AtomicFile.WriteAllText(PathOf("sample.txt"), "ab\uD83D"));
        Assert.Contains("not valid Unicode", ex.Message);
        Assert.Equal("old", File.ReadAllText(PathOf("sample.txt")));
        AssertNoTempFiles();
    }

    [Fact]
    public void Failure_after_the_temp_file_is_written_removes_it()
    {
        // The final rename fails: the target is a directory. The temp file was complete by then.
        Directory.CreateDirectory(PathOf("taken"));
        Assert.ThrowsAny<IOException>(() => AtomicFile.WriteAllBytes(PathOf("taken"), "data"u8));
        AssertNoTempFiles();
    }

    [Fact]
    public void Failed_copy_removes_its_temp_file()
    {
        File.WriteAllText(PathOf("src.bin"), "weights");
        Directory.CreateDirectory(PathOf("taken"));
        Assert.ThrowsAny<IOException>(() => AtomicFile.Copy(PathOf("src.bin"), PathOf("taken")));
        AssertNoTempFiles();
        AtomicFile.Copy(PathOf("src.bin"), PathOf("dst.bin"));
        Assert.Equal("weights", File.ReadAllText(PathOf("dst.bin")));
        AssertNoTempFiles();
    }
}
