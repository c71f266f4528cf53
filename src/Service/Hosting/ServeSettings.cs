namespace FraudStream.Service.Hosting;

/// <summary>What <c>serve</c> and <c>demo</c> were asked for on the command line; null means "from configuration".</summary>
public sealed record ServeSettings
{
    public string? Bootstrap { get; init; }
    public string? Database { get; init; }
    public string? ModelDirectory { get; init; }

    /// <summary>The challenger's package folder (<c>--challenger</c>), scored in shadow and watched.</summary>
    public string? ChallengerDirectory { get; init; }
    public string? RulesFile { get; init; }
    public int? DashboardPort { get; init; }
    public double? TargetMs { get; init; }
    public string? Device { get; init; }
    public int? Workers { get; init; }
    public string? GroupId { get; init; }
    public string? ReviewToken { get; init; }

    /// <summary><c>--ignore-promotions</c> (<c>Decisions:IgnorePromotions</c>): keep <c>--model</c> whatever the store's promotions say.</summary>
    public bool? IgnorePromotions { get; init; }

    /// <summary>The card-number token key (<c>Decisions:TokenKey</c>): for the demo and tests; serve reads it from its configuration.</summary>
    public string? TokenKey { get; init; }

    /// <summary>Defaults of the caller's own (<c>Section:Key</c>), below appsettings and the environment, which override them.</summary>
    public IReadOnlyDictionary<string, string?>? Defaults { get; init; }

    /// <summary>Further configuration keys (<c>Section:Key</c>), above appsettings and the environment.</summary>
    public IReadOnlyDictionary<string, string?>? Configuration { get; init; }
}
