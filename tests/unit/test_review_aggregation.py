"""The matrix arithmetic: per-axis means over the reviewers, their total, the priority mark.
Exact values, never float drift."""
from fractions import Fraction

from app.models.review import AXES, Review
from app.services.review import aggregate, format_fraction, json_number


def review(customer_value=2, uniqueness=2, feasibility=2, marketability=2) -> Review:
    return Review(customer_value=customer_value, uniqueness=uniqueness, feasibility=feasibility,
                  marketability=marketability)


def test_three_reviewers_giving_3_2_2_make_a_mean_of_exactly_seven_thirds():
    result = aggregate([review(customer_value=3), review(), review()], threshold=8)
    assert result.axis_means["customer_value"] == Fraction(7, 3)
    assert result.reviewer_count == 3


def test_two_reviewers_giving_3_and_2_make_exactly_two_and_a_half():
    result = aggregate([review(uniqueness=3), review(uniqueness=2)], threshold=8)
    assert result.axis_means["uniqueness"] == Fraction(5, 2)
    assert json_number(result.axis_means["uniqueness"]) == 2.5


def test_total_is_the_exact_sum_of_the_axis_means():
    reviews = [review(3, 3, 1, 2), review(2, 3, 2, 2), review(2, 1, 2, 3)]
    result = aggregate(reviews, threshold=8)
    assert result.axis_means == {"customer_value": Fraction(7, 3), "uniqueness": Fraction(7, 3),
                                 "feasibility": Fraction(5, 3), "marketability": Fraction(7, 3)}
    assert result.total == Fraction(26, 3)


def test_thirds_that_sum_to_exactly_eight_mark_a_priority():
    # 7/3 + 7/3 + 5/3 + 5/3 = 8 exactly; in floats the thirds could fall just short.
    reviews = [review(3, 3, 1, 1), review(2, 2, 2, 2), review(2, 2, 2, 2)]
    result = aggregate(reviews, threshold=8)
    assert result.total == 8
    assert result.priority is True


def test_a_total_just_below_eight_is_not_a_priority():
    reviews = [review(3, 2, 1, 1), review(2, 2, 2, 2), review(2, 2, 2, 2)]
    result = aggregate(reviews, threshold=8)
    assert result.total == Fraction(23, 3)
    assert result.priority is False


def test_priority_follows_the_configured_total():
    result = aggregate([review(), review()], threshold=9)
    assert result.total == 8 and result.priority is False


def test_no_reviews_means_no_score_and_no_priority():
    result = aggregate([], threshold=8)
    assert result.reviewer_count == 0
    assert all(result.axis_means[axis] is None for axis in AXES)
    assert result.total is None and result.priority is False


def test_json_numbers_are_rounded_only_at_the_edge():
    assert json_number(Fraction(7, 3)) == 2.3333
    assert json_number(Fraction(5, 2)) == 2.5
    assert json_number(Fraction(3)) == 3 and isinstance(json_number(Fraction(3)), int)
    assert json_number(None) is None


def test_pages_show_means_without_trailing_zeros():
    assert format_fraction(Fraction(7, 3)) == "2.33"
    assert format_fraction(Fraction(5, 2)) == "2.5"
    assert format_fraction(Fraction(26, 3)) == "8.67"
    assert format_fraction(Fraction(8)) == "8"
    assert format_fraction(None) == "–"
