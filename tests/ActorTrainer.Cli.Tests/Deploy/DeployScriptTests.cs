using System.Diagnostics;

namespace ActorTrainer.Cli.Tests.Deploy;

/// <summary>Every deploy/*.sh answers --help and -h with its usage and exit 0, before it builds anything.</summary>
public sealed class DeployScriptTests
{
    private static string DeployDirectory()
    {
        for (var d = new DirectoryInfo(AppContext.BaseDirectory); d is not null; d = d.Parent)
            if (File.Exists(Path.Combine(d.FullName, "deploy", "local-cluster.sh"))) return Path.Combine(d.FullName, "deploy");
        throw new DirectoryNotFoundException($"deploy/ not found above {AppContext.BaseDirectory}");
    }

    public static TheoryData<string> Scripts() =>
        new(Directory.GetFiles(DeployDirectory(), "*.sh").Select(Path.GetFileName).Order()!);

    [Theory]
    [MemberData(nameof(Scripts))]
    public void Help_prints_the_usage_and_exits_0(string script)
    {
        foreach (string flag in new[] { "--help", "-h" })
        {
            var psi = new ProcessStartInfo("bash") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
            psi.ArgumentList.Add(Path.Combine(DeployDirectory(), script));
            psi.ArgumentList.Add(flag);
            using var p = Process.Start(psi)!;
            string stdout = p.StandardOutput.ReadToEnd();
            string stderr = p.StandardError.ReadToEnd();
            p.WaitForExit();
            Assert.True(p.ExitCode == 0, $"{script} {flag}: exit {p.ExitCode}; {stderr}");
            Assert.Contains($"deploy/{script}", stdout);
            Assert.DoesNotContain("building", stderr);
            Assert.DoesNotContain("set -euo", stdout); // the usage is the comment block, not the code after it
        }
    }
}
