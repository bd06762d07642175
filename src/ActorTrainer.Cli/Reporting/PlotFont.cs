using ScottPlot;
using SkiaSharp;

namespace ActorTrainer.Cli.Reporting;

/// <summary>
/// The one typeface of every plot: DejaVu Sans, embedded in this assembly. Skia's Linux build
/// without system dependencies finds fonts only by scanning /usr/share/fonts, which a container
/// or a bare machine leaves empty (then every label is silently missing); the embedded font also
/// draws the same text on every machine.
/// </summary>
internal static class PlotFont
{
    public const string Name = "DejaVu Sans";
    private const string Resource = "ActorTrainer.DejaVuSans.ttf";

    private static readonly Lazy<bool> Installed = new(Install, LazyThreadSafetyMode.ExecutionAndPublication);

    /// <summary>Makes ScottPlot resolve every font name to the embedded typeface (once per process).</summary>
    public static void Ensure() => _ = Installed.Value;

    private static bool Install()
    {
        using var stream = typeof(PlotFont).Assembly.GetManifestResourceStream(Resource)
            ?? throw new InvalidOperationException($"embedded font {Resource} is missing from the build");
        var data = SKData.Create(stream);
        Fonts.FontResolvers.Insert(0, new EmbeddedResolver(data));
        Fonts.Default = Fonts.Sans = Name;
        return true;
    }

    /// <summary>Answers every request with a fresh typeface over the same bytes (callers may dispose theirs).</summary>
    private sealed class EmbeddedResolver(SKData data) : IFontResolver
    {
        public SKTypeface CreateTypeface(string fontName, bool bold, bool italic) => SKTypeface.FromData(data);

        public SKTypeface CreateTypeface(string fontName, FontWeight weight, FontSlant slant, FontSpacing spacing) => SKTypeface.FromData(data);
    }
}
