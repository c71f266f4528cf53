using FraudStream.Dashboard.Privacy;

namespace FraudStream.Dashboard.Tests.Unit;

public sealed class PanGuardTests
{
    [Theory]
    [InlineData("4111111111111111", "••••1111")]
    [InlineData("4111-1111-1111-1111", "••••1111")]
    [InlineData("card_4111111111111111", "••••1111")]
    [InlineData("C1093826151", "C1093826151")]
    [InlineData("••••1234", "••••1234")]
    [InlineData("", "")]
    public void Card_masks_values_that_are_or_contain_a_card_number(string card, string expected) =>
        Assert.Equal(expected, PanGuard.Card(card));

    [Fact]
    public void Text_masks_each_card_number_and_keeps_the_rest()
    {
        var text = PanGuard.Text("seen 5500 0000 0000 0004 and 4111111111111111 at M123");
        Assert.Equal("seen ••••0004 and ••••1111 at M123", text);
    }

    [Theory]
    [InlineData("order 4111111111111112")]
    [InlineData("amount 123456789012")]
    [InlineData("tx-2026-11-29-0001")]
    public void Text_leaves_numbers_that_fail_the_card_checks(string text) =>
        Assert.Equal(text, PanGuard.Text(text));
}
