"""Sample error codes: eligibility refusals, unknown samples, actions out of turn."""

from laotie.kit.errors import Conflict, Forbidden, InvalidState, NotFound


class SampleNotFound(NotFound):
    code = "sample_not_found"


class SampleOpen(Conflict):
    """The creator already has a sample of this product requested, approved or on its way."""

    code = "sample_already_requested"


class TooManyLapsed(Forbidden):
    """Samples received and never promoted, too many of them lately."""

    code = "sample_record_lapsed"


class SalesTooLow(Forbidden):
    code = "sample_sales_too_low"


class FansTooFew(Forbidden):
    code = "sample_fans_too_few"


class WrongSampleState(InvalidState):
    code = "wrong_sample_state"
