using System.Text;
using FraudStream.Core.Contracts;

namespace FraudStream.Core.Tests.Contracts;

public sealed class LabelJsonTests
{
    [Fact]
    public void A_valid_label_parses()
    {
        Assert.True(LabelJson.TryParse(Encoding.UTF8.GetBytes("{\"id\":\"tx-1\",\"fraud\":true,\"reported_at\":\"2026-11-02T08:00:00Z\"}"),
            out var label, out var error), error);
        Assert.Equal("tx-1", label!.Id);
        Assert.True(label.Fraud);
        Assert.Equal(new DateTime(2026, 11, 2, 8, 0, 0, DateTimeKind.Utc), label.ReportedAt);
    }

    [Theory]
    [InlineData("{\"id\":\"tx\\u0000\",\"fraud\":true,\"reported_at\":\"2026-11-02T08:00:00Z\"}")]
    [InlineData("{\"id\":\"tx\\ud800\",\"fraud\":true,\"reported_at\":\"2026-11-02T08:00:00Z\"}")]
    [InlineData("{\"id\":\"tx-1\",\"fraud\":\"yes\",\"reported_at\":\"2026-11-02T08:00:00Z\"}")]
    [InlineData("{\"id\":\"tx-1\",\"fraud\":true}")]
    [InlineData("{\"id\":")]
    public void Labels_no_store_could_keep_are_refused_with_a_reason_not_an_exception(string json)
    {
        Assert.False(LabelJson.TryParse(Encoding.UTF8.GetBytes(json), out var label, out var error));
        Assert.Null(label);
        Assert.False(string.IsNullOrEmpty(error));
    }
}
