using System.Text;

namespace ActorTrainer.Core.Reporting;

/// <summary>
/// Writes a whole file so that readers see either the old content or the new, never a torn one; a
/// failure leaves the old file as it was and no temp file behind.
/// </summary>
public static class AtomicFile
{
    /// <summary>UTF-8 without a BOM that throws on a lone surrogate instead of writing U+FFFD: what is written is the text.</summary>
    public static readonly Encoding Utf8 = new UTF8Encoding(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);

    /// <summary>
    /// Writes text as UTF-8 (no BOM). The text is encoded before anything touches the disk, so text
    /// that is not valid Unicode (a lone surrogate) throws ArgumentException and writes nothing.
    /// </summary>
    public static void WriteAllText(string path, string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        byte[] bytes;
        try { bytes = Utf8.GetBytes(text); }
        catch (EncoderFallbackException e) { throw new ArgumentException($"text for '{path}' is not valid Unicode: {e.Message}", nameof(text), e); }
        WriteAllBytes(path, bytes);
    }

    /// <summary>Writes bytes to a temp file in path's directory, flushes it to disk, then moves it over path.</summary>
    public static void WriteAllBytes(string path, ReadOnlySpan<byte> bytes)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(path);
        string full = Path.GetFullPath(path);
        string temp = TempPath(full);
        try
        {
            using (var fs = new FileStream(temp, FileMode.CreateNew, FileAccess.Write, FileShare.None))
            {
                fs.Write(bytes);
                fs.Flush(flushToDisk: true);
            }
            File.Move(temp, full, overwrite: true);
        }
        catch
        {
            TryDelete(temp);
            throw;
        }
    }

    /// <summary>Copies source over destination through a temp file beside destination.</summary>
    public static void Copy(string source, string destination)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(source);
        ArgumentException.ThrowIfNullOrWhiteSpace(destination);
        string full = Path.GetFullPath(destination);
        string temp = TempPath(full);
        try
        {
            File.Copy(source, temp, overwrite: false);
            File.Move(temp, full, overwrite: true);
        }
        catch
        {
            TryDelete(temp);
            throw;
        }
    }

    /// <summary>A fresh hidden temp name beside the target (same file system, so the move is a rename).</summary>
    private static string TempPath(string full) =>
        Path.Combine(Path.GetDirectoryName(full)!, $".{Path.GetFileName(full)}.{Guid.NewGuid():N}.tmp");

    private static void TryDelete(string temp)
    {
        try { File.Delete(temp); } catch (IOException) { } catch (UnauthorizedAccessException) { }
    }
}
