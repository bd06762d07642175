using System.Collections.Concurrent;
using Hyperion;

namespace ActorTrainer.Actors.Serialization;

/// <summary>
/// Hyperion's allow-list for this project: a type named on the wire may be created only if every
/// assembly its name mentions is the trainer's or Akka's (or the runtime's), and every runtime type in
/// it is a plain value or collection (string, numbers, arrays, List, Dictionary, immutable collections…).
/// Anything else — a gadget like System.Diagnostics.Process, or any other assembly's type — is refused
/// before Hyperion creates it, and reported once per type name through <c>onRefused</c>.
/// Works on the name as Hyperion reads it ("Ns.Type, Assembly", runtime assemblies marked ",%core%",
/// generic arguments in [[…]]), never loading anything to decide. Thread-safe.
/// </summary>
public sealed class TrainerTypeFilter : ITypeFilter
{
    /// <summary>Distinct refused names remembered for reporting once; past this, refusals are not reported again.</summary>
    public const int MaxReportedNames = 1000;

    private static readonly HashSet<string> OwnAssemblies = new(StringComparer.Ordinal) { "ActorTrainer.Actors", "ActorTrainer.Core", "Akka" };
    private static readonly HashSet<string> RuntimeAssemblies = new(StringComparer.Ordinal)
    {
        "System.Private.CoreLib", "mscorlib", "System.Runtime", "System.Collections", "System.Collections.Immutable",
    };
    private static readonly HashSet<string> RuntimeTypes = new(StringComparer.Ordinal)
    {
        "System.Object", "System.String", "System.Boolean", "System.Char", "System.Byte", "System.SByte",
        "System.Int16", "System.UInt16", "System.Int32", "System.UInt32", "System.Int64", "System.UInt64",
        "System.Single", "System.Double", "System.Decimal", "System.Half", "System.Guid", "System.TimeSpan",
        "System.DateTime", "System.DateTimeOffset", "System.Nullable`1", "System.ValueTuple`2", "System.ValueTuple`3",
        "System.Tuple`2", "System.Tuple`3", "System.Collections.Generic.List`1", "System.Collections.Generic.Dictionary`2",
        "System.Collections.Generic.KeyValuePair`2", "System.Collections.Generic.HashSet`1",
        "System.Collections.Generic.SortedDictionary`2", "System.Collections.Generic.GenericEqualityComparer`1",
        "System.Collections.Generic.ObjectEqualityComparer`1", "System.Collections.Generic.EnumEqualityComparer`1",
        "System.OrdinalComparer", "System.StringComparer",
    };

    private readonly Action<string>? _onRefused;
    private readonly ConcurrentDictionary<string, bool> _reported = new(StringComparer.Ordinal);

    /// <param name="onRefused">Called once per refused type name (e.g. to log a warning); null = silent.</param>
    public TrainerTypeFilter(Action<string>? onRefused = null) => _onRefused = onRefused;

    public bool IsAllowed(string typeName)
    {
        bool allowed = typeName is not null && Parts(typeName).All(p => Allowed(p.Type, p.Assembly));
        if (!allowed && _onRefused is not null && _reported.Count < MaxReportedNames && _reported.TryAdd(typeName ?? "", true))
            _onRefused(typeName ?? "(null)");
        return allowed;
    }

    private static bool Allowed(string type, string? assembly)
    {
        if (assembly is null) return false; // every name Hyperion reads carries its assembly
        if (OwnAssemblies.Contains(assembly) || assembly.StartsWith("Akka.", StringComparison.Ordinal))
            return true;
        return RuntimeAssemblies.Contains(assembly)
               && (RuntimeTypes.Contains(type) || type.StartsWith("System.Collections.Immutable.", StringComparison.Ordinal));
    }

    /// <summary>Every (type, assembly) in a name: the outer type and each generic argument, array ranks stripped.</summary>
    internal static IEnumerable<(string Type, string? Assembly)> Parts(string name)
    {
        var parts = new List<(string, string?)>();
        Parse(name.AsSpan(), parts);
        return parts;
    }

    // name := type ['[' '[' name ']' (',' '[' name ']')* ']'] ('[' ','* ']')* [',' assembly [',' attributes…]]
    private static void Parse(ReadOnlySpan<char> s, List<(string, string?)> parts)
    {
        int i = 0;
        while (i < s.Length && s[i] != '[' && s[i] != ',') i++;
        string type = s[..i].Trim().ToString();
        if (i + 1 < s.Length && s[i] == '[' && s[i + 1] == '[')
        {
            i++; // inside the argument list: [name],[name]…]
            while (i < s.Length && s[i] == '[')
            {
                int close = MatchingBracket(s, i);
                if (close < 0) { parts.Add((type, null)); return; }
                Parse(s[(i + 1)..close], parts);
                i = close + 1;
                if (i < s.Length && s[i] == ',') i++;
            }
            if (i >= s.Length || s[i] != ']') { parts.Add((type, null)); return; }
            i++;
        }
        while (i < s.Length && s[i] == '[') // array ranks: [] or [,]
        {
            int close = s[i..].IndexOf(']');
            if (close < 0 || s[(i + 1)..(i + close)].Trim(',').Length > 0) { parts.Add((type, null)); return; }
            i += close + 1;
        }
        string? assembly = null;
        if (i < s.Length && s[i] == ',')
        {
            var rest = s[(i + 1)..];
            int comma = rest.IndexOf(',');
            assembly = (comma < 0 ? rest : rest[..comma]).Trim().ToString();
        }
        else if (i < s.Length) { parts.Add((type, null)); return; }
        parts.Add((type, assembly));
    }

    private static int MatchingBracket(ReadOnlySpan<char> s, int open)
    {
        int depth = 0;
        for (int j = open; j < s.Length; j++)
        {
            if (s[j] == '[') depth++;
            else if (s[j] == ']' && --depth == 0) return j;
        }
        return -1;
    }
}
