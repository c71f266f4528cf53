namespace FraudStream.Core.Stages;

/// <summary>
/// A model package as the store's registry carries it: every file of the package folder in one archive, the
/// archive's sha256 (hex, lower case) and the version its manifest names.
/// </summary>
public sealed record PackageArchive(string Version, string Sha256, byte[] Bytes);

/// <summary>
/// A scoring stage whose champion can travel through the store's model registry (docs/SCORING.md, "Registry"): the
/// service stores the archive of a champion it promoted, and an instance that did not promote loads the fleet's
/// champion from such an archive. Off the per-transaction path: the promotion poll calls it.
/// </summary>
public interface IChampionRegistry
{
    /// <summary>
    /// The archive of the champion scoring now when it came from a challenger promoted here (read when that challenger
    /// loaded) or from the registry; null for a champion loaded from <c>--model</c> or when its archive could not be made.
    /// </summary>
    PackageArchive? ChampionArchive { get; }

    /// <summary>
    /// Checks the archive's sha256, unpacks it into the local cache, loads it as any package (the same schema check)
    /// and makes it the champion by the snapshot swap. False, with the reason, when any of that fails: the champion in
    /// use stays, and decisions go on.
    /// </summary>
    bool TryAdoptChampion(PackageArchive archive, out string previousVersion, out string? error);
}
