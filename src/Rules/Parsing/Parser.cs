using FraudStream.Core.Contracts;
using FraudStream.Rules.Ast;
using FraudStream.Rules.Compilation;

namespace FraudStream.Rules.Parsing;

/// <summary>
/// Recursive descent over the token list. A syntax error abandons the current statement and resumes at
/// the next <c>rule</c>, <c>shadow</c> or <c>list</c>, so one file reports every broken statement.
/// Nesting is bounded, so neither this parser nor the later passes can overflow the stack.
/// </summary>
public sealed class Parser
{
    private static readonly string[] Actions = ["approve", "review", "decline"];

    private readonly List<Token> _tokens;
    private readonly string _text;
    private readonly DiagnosticBag _diagnostics;
    private readonly int _maxDepth;
    private int _index;
    private int _recursion;

    public Parser(string text, List<Token> tokens, DiagnosticBag diagnostics, int maxDepth)
    {
        _text = text;
        _tokens = tokens;
        _diagnostics = diagnostics;
        _maxDepth = maxDepth;
    }

    /// <summary>Abandons the statement being parsed; the diagnostic is already recorded.</summary>
    private sealed class StatementAbandonedException : Exception
    {
    }

    private Token Current => _tokens[Math.Min(_index, _tokens.Count - 1)];

    private Token PeekToken(int ahead) => _tokens[Math.Min(_index + ahead, _tokens.Count - 1)];

    public RulesFileSyntax ParseFile()
    {
        var lists = new List<ListDeclaration>();
        var rules = new List<RuleDeclaration>();
        while (Current.Kind != TokenKind.EndOfFile)
        {
            var startIndex = _index;
            try
            {
                switch (Current.Kind)
                {
                    case TokenKind.List:
                        lists.Add(ParseList());
                        break;
                    case TokenKind.Rule:
                    case TokenKind.Shadow:
                        rules.Add(ParseRule());
                        break;
                    default:
                        Fail(Current.Position, DiagnosticCodes.Syntax, $"expected 'rule', 'shadow rule' or 'list' but found {Describe(Current)}");
                        break;
                }
            }
            catch (StatementAbandonedException)
            {
                _recursion = 0;
                if (_index == startIndex)
                {
                    _index++;
                }

                SkipToNextStatement();
            }
        }

        return new RulesFileSyntax(lists, rules);
    }

    private void SkipToNextStatement()
    {
        while (Current.Kind is not (TokenKind.EndOfFile or TokenKind.Rule or TokenKind.Shadow or TokenKind.List))
        {
            _index++;
        }
    }

    private ListDeclaration ParseList()
    {
        Expect(TokenKind.List, "'list'");
        var name = ExpectSimpleName("list name");
        Expect(TokenKind.Assign, "'=' after the list name");
        var sourcePosition = Current.Position;
        if (Current.Kind == TokenKind.Identifier && Current.Text == "file")
        {
            _index++;
            Expect(TokenKind.LeftParen, "'(' after file");
            var path = Current;
            Expect(TokenKind.String, "a quoted file path, as in file(\"lists/vip_cards.txt\")");
            Expect(TokenKind.RightParen, "')'");
            return new ListDeclaration(name.Text, name.Position, path.Text, null, sourcePosition);
        }

        if (Current.Kind == TokenKind.LeftBracket)
        {
            var items = ParseLiteralItems();
            return new ListDeclaration(name.Text, name.Position, null, items, sourcePosition);
        }

        return Fail<ListDeclaration>(Current.Position, DiagnosticCodes.Syntax, $"expected file(\"PATH\") or [items] but found {Describe(Current)}");
    }

    private RuleDeclaration ParseRule()
    {
        var start = Current;
        var shadow = false;
        if (Current.Kind == TokenKind.Shadow)
        {
            shadow = true;
            _index++;
        }

        Expect(TokenKind.Rule, shadow ? "'rule' after 'shadow'" : "'rule'");
        var name = ExpectSimpleName("rule name");
        Expect(TokenKind.Colon, "':' after the rule name");
        var actionToken = Current;
        if (actionToken.Kind != TokenKind.Identifier)
        {
            Fail(actionToken.Position, DiagnosticCodes.UnknownAction, $"expected approve, review or decline but found {Describe(actionToken)}");
        }

        if (!DecisionKindNames.TryParse(actionToken.Text, out var action))
        {
            var hint = actionToken.Text switch
            {
                "allow" => "; did you mean 'approve'?",
                "block" => "; did you mean 'decline'?",
                _ => NameSuggester.Hint(actionToken.Text, Actions),
            };
            Fail(actionToken.Position, DiagnosticCodes.UnknownAction, $"unknown action '{actionToken.Text}': use approve, review or decline{hint}");
        }

        _index++;
        Expect(TokenKind.If, "'if' after the action");
        var condition = ParseExpression();
        if (Current.Kind is not (TokenKind.EndOfFile or TokenKind.Rule or TokenKind.Shadow or TokenKind.List))
        {
            Fail(Current.Position, DiagnosticCodes.Syntax, $"unexpected {Describe(Current)} after the condition; join conditions with 'and' or 'or'");
        }

        var last = _tokens[_index - 1];
        var text = _text[start.Offset..(last.Offset + last.Length)];
        return new RuleDeclaration(name.Text, name.Position, action, shadow, condition, text);
    }

    private Token ExpectSimpleName(string what)
    {
        var token = Current;
        if (token.Kind != TokenKind.Identifier)
        {
            var reserved = IsReservedWord(token) ? $" ('{token.Text}' is a reserved word)" : "";
            Fail(token.Position, DiagnosticCodes.Syntax, $"expected a {what} but found {Describe(token)}{reserved}");
        }

        if (token.Text.Contains('.', StringComparison.Ordinal))
        {
            _diagnostics.Add(token.Position, DiagnosticCodes.InvalidName, $"{what} '{token.Text}' may not contain dots; use letters, digits and '_'");
        }

        _index++;
        return token;
    }

    private ExpressionSyntax ParseExpression() => ParseOr();

    private ExpressionSyntax ParseOr()
    {
        var left = ParseAnd();
        while (Current.Kind == TokenKind.Or)
        {
            var op = Current;
            _index++;
            left = CheckDepth(new BinarySyntax(BinaryOperator.Or, left, ParseAnd(), op.Position));
        }

        return left;
    }

    private ExpressionSyntax ParseAnd()
    {
        var left = ParseNot();
        while (Current.Kind == TokenKind.And)
        {
            var op = Current;
            _index++;
            left = CheckDepth(new BinarySyntax(BinaryOperator.And, left, ParseNot(), op.Position));
        }

        return left;
    }

    private ExpressionSyntax ParseNot()
    {
        if (Current.Kind == TokenKind.Not)
        {
            var op = Current;
            _index++;
            Enter(op);
            var operand = ParseNot();
            _recursion--;
            return CheckDepth(new UnarySyntax(UnaryOperator.Not, operand, op.Position));
        }

        return ParseComparison();
    }

    private ExpressionSyntax ParseComparison()
    {
        var left = ParseAdditive();
        var op = Current;
        BinaryOperator? binary = op.Kind switch
        {
            TokenKind.Equal => BinaryOperator.Equal,
            TokenKind.NotEqual => BinaryOperator.NotEqual,
            TokenKind.Less => BinaryOperator.Less,
            TokenKind.LessOrEqual => BinaryOperator.LessOrEqual,
            TokenKind.Greater => BinaryOperator.Greater,
            TokenKind.GreaterOrEqual => BinaryOperator.GreaterOrEqual,
            _ => null,
        };
        if (op.Kind == TokenKind.Assign)
        {
            Fail(op.Position, DiagnosticCodes.Syntax, "'=' assigns lists; compare with '=='");
        }

        ExpressionSyntax result;
        if (binary is { } b)
        {
            _index++;
            result = CheckDepth(new BinarySyntax(b, left, ParseAdditive(), op.Position));
        }
        else if (op.Kind == TokenKind.In)
        {
            _index++;
            result = CheckDepth(new InListSyntax(left, ParseListOperand(), false, op.Position));
        }
        else if (op.Kind == TokenKind.Not && PeekToken(1).Kind is TokenKind.In or TokenKind.Between)
        {
            _index++;
            if (Current.Kind == TokenKind.In)
            {
                _index++;
                result = CheckDepth(new InListSyntax(left, ParseListOperand(), true, op.Position));
            }
            else
            {
                result = ParseBetweenRest(left, op, negated: true);
            }
        }
        else if (op.Kind == TokenKind.Between)
        {
            result = ParseBetweenRest(left, op, negated: false);
        }
        else if (op.Kind == TokenKind.Is)
        {
            _index++;
            var negated = false;
            if (Current.Kind == TokenKind.Not)
            {
                negated = true;
                _index++;
            }

            Expect(TokenKind.Missing, "'missing' after 'is' (as in 'device is missing')");
            result = CheckDepth(new IsMissingSyntax(left, negated, op.Position));
        }
        else
        {
            return left;
        }

        if (Current.Kind is TokenKind.Equal or TokenKind.NotEqual or TokenKind.Less or TokenKind.LessOrEqual
            or TokenKind.Greater or TokenKind.GreaterOrEqual or TokenKind.In or TokenKind.Between or TokenKind.Is)
        {
            Fail(Current.Position, DiagnosticCodes.Syntax, $"comparisons do not chain; write 'a < b and b < c' (found {Describe(Current)})");
        }

        return result;
    }

    private ExpressionSyntax ParseBetweenRest(ExpressionSyntax operand, Token op, bool negated)
    {
        Expect(TokenKind.Between, "'between'");
        var low = ParseAdditive();
        Expect(TokenKind.And, "'and' in 'between LOW and HIGH'");
        var high = ParseAdditive();
        return CheckDepth(new BetweenSyntax(operand, low, high, negated, op.Position));
    }

    private ListSyntax ParseListOperand()
    {
        var token = Current;
        if (token.Kind == TokenKind.ListReference)
        {
            _index++;
            return new ListSyntax(token.Text, null, token.Position);
        }

        if (token.Kind == TokenKind.LeftBracket)
        {
            return new ListSyntax(null, ParseLiteralItems(), token.Position);
        }

        var hint = token.Kind == TokenKind.Identifier ? $"; did you mean '@{token.Text}'?" : "";
        return Fail<ListSyntax>(token.Position, DiagnosticCodes.Syntax, $"expected a list ('@name' or [items]) after 'in' but found {Describe(token)}{hint}");
    }

    private List<LiteralSyntax> ParseLiteralItems()
    {
        Expect(TokenKind.LeftBracket, "'['");
        var items = new List<LiteralSyntax>();
        if (Current.Kind == TokenKind.RightBracket)
        {
            _index++;
            return items;
        }

        while (true)
        {
            items.Add(ParseLiteral());
            if (Current.Kind == TokenKind.Comma)
            {
                _index++;
                continue;
            }

            Expect(TokenKind.RightBracket, "',' or ']' in the list");
            return items;
        }
    }

    private LiteralSyntax ParseLiteral()
    {
        var token = Current;
        var sign = 1.0;
        if (token.Kind == TokenKind.Minus && PeekToken(1).Kind == TokenKind.Number)
        {
            sign = -1;
            _index++;
            token = Current;
        }

        if (token.Kind is not (TokenKind.Number or TokenKind.String or TokenKind.True or TokenKind.False))
        {
            return Fail<LiteralSyntax>(token.Position, DiagnosticCodes.Syntax, $"list items must be numbers, strings or booleans, not {Describe(token)}");
        }

        _index++;
        return token.Kind switch
        {
            TokenKind.Number => new NumberLiteral(sign * token.Number, token.Position),
            TokenKind.String => new StringLiteral(token.Text, token.Position),
            TokenKind.True => new BooleanLiteral(true, token.Position),
            _ => new BooleanLiteral(false, token.Position),
        };
    }

    private ExpressionSyntax ParseAdditive()
    {
        var left = ParseMultiplicative();
        while (Current.Kind is TokenKind.Plus or TokenKind.Minus)
        {
            var op = Current;
            _index++;
            var kind = op.Kind == TokenKind.Plus ? BinaryOperator.Add : BinaryOperator.Subtract;
            left = CheckDepth(new BinarySyntax(kind, left, ParseMultiplicative(), op.Position));
        }

        return left;
    }

    private ExpressionSyntax ParseMultiplicative()
    {
        var left = ParseUnary();
        while (Current.Kind is TokenKind.Star or TokenKind.Slash or TokenKind.Percent)
        {
            var op = Current;
            _index++;
            var kind = op.Kind switch
            {
                TokenKind.Star => BinaryOperator.Multiply,
                TokenKind.Slash => BinaryOperator.Divide,
                _ => BinaryOperator.Modulo,
            };
            left = CheckDepth(new BinarySyntax(kind, left, ParseUnary(), op.Position));
        }

        return left;
    }

    private ExpressionSyntax ParseUnary()
    {
        if (Current.Kind == TokenKind.Minus)
        {
            var op = Current;
            _index++;
            Enter(op);
            var operand = ParseUnary();
            _recursion--;
            if (operand is NumberLiteral number)
            {
                return new NumberLiteral(-number.Value, op.Position);
            }

            return CheckDepth(new UnarySyntax(UnaryOperator.Negate, operand, op.Position));
        }

        return ParsePrimary();
    }

    private ExpressionSyntax ParsePrimary()
    {
        var token = Current;
        switch (token.Kind)
        {
            case TokenKind.Number:
                _index++;
                return new NumberLiteral(token.Number, token.Position);
            case TokenKind.String:
                _index++;
                return new StringLiteral(token.Text, token.Position);
            case TokenKind.True:
            case TokenKind.False:
                _index++;
                return new BooleanLiteral(token.Kind == TokenKind.True, token.Position);
            case TokenKind.Identifier:
                _index++;
                if (Current.Kind == TokenKind.LeftParen)
                {
                    return ParseCallRest(token);
                }

                return new NameSyntax(token.Text, token.Position);
            case TokenKind.LeftParen:
                _index++;
                Enter(token);
                var inner = ParseExpression();
                _recursion--;
                Expect(TokenKind.RightParen, "')'");
                return inner;
            case TokenKind.ListReference:
                return Fail<ExpressionSyntax>(token.Position, DiagnosticCodes.Syntax, $"a list can only follow 'in', as in 'card in @{token.Text}'");
            default:
                return Fail<ExpressionSyntax>(token.Position, DiagnosticCodes.Syntax, $"expected a value, a name or '(' but found {Describe(token)}");
        }
    }

    private CallSyntax ParseCallRest(Token name)
    {
        var open = Current;
        Expect(TokenKind.LeftParen, "'('");
        Enter(open);
        var arguments = new List<ExpressionSyntax>();
        if (Current.Kind != TokenKind.RightParen)
        {
            while (true)
            {
                arguments.Add(ParseExpression());
                if (Current.Kind == TokenKind.Comma)
                {
                    _index++;
                    continue;
                }

                break;
            }
        }

        Expect(TokenKind.RightParen, "',' or ')' in the argument list");
        _recursion--;
        return CheckDepth(new CallSyntax(name.Text, arguments, name.Position));
    }

    private void Enter(Token at)
    {
        if (++_recursion > _maxDepth)
        {
            Fail(at.Position, DiagnosticCodes.TooDeep, $"expression nests deeper than {_maxDepth} levels");
        }
    }

    private T CheckDepth<T>(T node)
        where T : ExpressionSyntax
    {
        if (node.Depth > _maxDepth)
        {
            Fail(node.Position, DiagnosticCodes.TooDeep, $"expression is deeper than {_maxDepth} levels; split the rule");
        }

        return node;
    }

    private void Expect(TokenKind kind, string what)
    {
        if (Current.Kind != kind)
        {
            Fail(Current.Position, DiagnosticCodes.Syntax, $"expected {what} but found {Describe(Current)}");
        }

        _index++;
    }

    private void Fail(SourcePosition position, string code, string message)
    {
        // "expected a value" at the next rule's first word would point at the wrong line: point just
        // past the last token of the broken statement instead.
        if (position == Current.Position && _index > 0
            && Current.Kind is TokenKind.EndOfFile or TokenKind.Rule or TokenKind.Shadow or TokenKind.List)
        {
            var previous = _tokens[_index - 1];
            position = new SourcePosition(previous.Position.Line, previous.Position.Column + previous.Length);
        }

        // A lexer error at the same token already explains the problem; don't add a second one.
        if (Current.Kind != TokenKind.Invalid || code != DiagnosticCodes.Syntax)
        {
            _diagnostics.Add(position, code, message);
        }

        throw new StatementAbandonedException();
    }

    private T Fail<T>(SourcePosition position, string code, string message)
    {
        Fail(position, code, message);
        return default!;
    }

    private static bool IsReservedWord(Token token) =>
        token.Kind is >= TokenKind.List and <= TokenKind.False;

    private static string Describe(Token token) => token.Kind switch
    {
        TokenKind.EndOfFile => "the end of the file",
        TokenKind.Identifier => $"'{token.Text}'",
        TokenKind.Number => $"number {token.Text}",
        TokenKind.String => "a string",
        TokenKind.ListReference => $"'@{token.Text}'",
        _ => $"'{Truncate(token.Text)}'",
    };

    private static string Truncate(string text) => text.Length > 24 ? text[..24] + "…" : text;
}
