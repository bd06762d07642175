namespace ActorTrainer.Core.Tests;

/// <summary>Locates the repository's committed data files by walking up from the test's base directory.</summary>
internal static class RepoData
{
    public static string TinyShakespeare() => Find(Path.Combine("data", "tinyshakespeare.txt"));

    public static string Find(string relative)
    {
        for (var d = new DirectoryInfo(AppContext.BaseDirectory); d is not null; d = d.Parent)
        {
            string candidate = Path.Combine(d.FullName, relative);
            if (File.Exists(candidate)) return candidate;
        }
        throw new FileNotFoundException($"'{relative}' not found in any parent of {AppContext.BaseDirectory}");
    }
}
