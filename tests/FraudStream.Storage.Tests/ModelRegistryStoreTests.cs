using FraudStream.Storage;
using FraudStream.Storage.Records;

namespace FraudStream.Storage.Tests;

/// <summary>The model registry's rows (<c>model_packages</c>) and the promotion rows they go with, on SQLite and PostgreSQL.</summary>
public sealed class ModelRegistryStoreTests
{
    public static TheoryData<StoreProvider> Providers() => FraudStoreTests.Providers();

    private static ModelPackageRecord Package(string version, byte[] bytes) => new()
    {
        Version = version,
        Sha256 = Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(bytes)),
        Package = bytes,
        StoredAt = DateTime.UtcNow,
        StoredBy = "a@host:1",
    };

    private static async Task<long> ClaimedAsync(FraudStore store)
    {
        var seq = await store.RequestPromotionAsync("ops", DateTime.UtcNow);
        Assert.NotNull(await store.ClaimPromotionRequestAsync("a@host:1"));
        return seq;
    }

    [Theory]
    [MemberData(nameof(Providers))]
    public async Task An_applied_promotion_stores_its_package_and_a_later_promotion_of_the_same_version_replaces_it(StoreProvider provider)
    {
        var store = await StoreFixtures.NewStoreAsync(provider);
        var first = Package("v2", [1, 2, 3, 0, 255]);
        await store.CompletePromotionAsync(await ClaimedAsync(store), applied: true, DateTime.UtcNow, "v1", "v2", "promoted", first);

        var read = await store.GetModelPackageAsync("v2");
        Assert.NotNull(read);
        Assert.Equal(first.Package, read.Package);
        Assert.Equal((first.Sha256, 5L, "a@host:1"), (read.Sha256, read.SizeBytes, read.StoredBy));
        Assert.InRange(read.StoredAt, first.StoredAt.AddSeconds(-1), first.StoredAt.AddSeconds(1));
        var header = Assert.Single(await store.ListModelPackagesAsync());
        Assert.Equal(("v2", 5L), (header.Version, header.SizeBytes));
        Assert.Empty(header.Package); // the listing reads no bytes
        Assert.Null(await store.GetModelPackageAsync("v1"));

        // A rollback and a second promotion to v2: the registry keeps the package of the latest promotion to it.
        var second = Package("v2", [9, 8, 7]);
        await store.CompletePromotionAsync(await ClaimedAsync(store), applied: true, DateTime.UtcNow, "v1", "v2", "promoted again", second);
        Assert.Equal(second.Package, (await store.GetModelPackageAsync("v2"))!.Package);
        Assert.Single(await store.ListModelPackagesAsync());
    }

    [Theory]
    [MemberData(nameof(Providers))]
    public async Task The_package_and_the_applied_row_are_one_transaction_and_a_refusal_stores_no_package(StoreProvider provider)
    {
        var store = await StoreFixtures.NewStoreAsync(provider);
        var seq = await ClaimedAsync(store);
        var broken = Package("v2", [1]);
        broken.Sha256 = null!; // refused by the table (NOT NULL): the applied row must not be written without it

        await Assert.ThrowsAnyAsync<System.Data.Common.DbException>(() =>
            store.CompletePromotionAsync(seq, applied: true, DateTime.UtcNow, "v1", "v2", "promoted", broken));
        Assert.Equal("claimed", (await store.GetPromotionAsync(seq))!.Status);
        Assert.Null(await store.LatestAppliedPromotionAsync());

        await store.CompletePromotionAsync(seq, applied: false, DateTime.UtcNow, "v1", "v1", "no challenger", Package("v2", [1]));
        Assert.Equal("refused", (await store.GetPromotionAsync(seq))!.Status);
        Assert.Empty(await store.ListModelPackagesAsync());
    }

    [Theory]
    [MemberData(nameof(Providers))]
    public async Task A_claim_limited_to_older_requests_leaves_a_younger_one_for_another_instance(StoreProvider provider)
    {
        var store = await StoreFixtures.NewStoreAsync(provider);
        var requestedAt = DateTime.UtcNow;
        var seq = await store.RequestPromotionAsync("ops", requestedAt);

        Assert.Null(await store.ClaimPromotionRequestAsync("without-challenger@host:2", requestedAt.AddSeconds(-5)));
        Assert.Equal("requested", (await store.GetPromotionAsync(seq))!.Status);
        Assert.Equal(seq, (await store.ClaimPromotionRequestAsync("without-challenger@host:2", requestedAt.AddSeconds(1)))?.Seq);
        Assert.Equal("without-challenger@host:2", (await store.GetPromotionAsync(seq))!.Instance);
    }
}
