"""The review in words a bereaved person understands. Plain, kind, and never the jargon of the process."""

from __future__ import annotations

from app.notifications.enums import OtherProcess, Stage

STAGE_WORDS = {
    Stage.notified: "We have been told of the death. A reviewer will be chosen soon.",
    Stage.allocated: "A reviewer has been chosen and will start the review soon.",
    Stage.initial_review: (
        "The reviewer is finding out about the care given: talking with family or carers, reading the GP "
        "records and speaking with others who knew the person."
    ),
    Stage.focused_review: "The reviewer is looking more closely at the care given.",
    Stage.awaiting_sign_off: "The review has been written and is being checked by the local team.",
    Stage.completed: "The review is finished.",
    Stage.on_hold: "The review is paused while another process finishes.",
    Stage.excluded: "This death will not be reviewed by this programme. The local team can explain why.",
}

HOLD_WORDS = {
    OtherProcess.coroner_investigation: "The review is waiting for the coroner's investigation or inquest.",
    # Said gently: a relative may be part of these processes, and the review must not tip anyone off.
    OtherProcess.police_investigation: "The review is waiting for another process to finish.",
    OtherProcess.safeguarding_adults_review: "The review is waiting for another review of the care given.",
    OtherProcess.safeguarding_adults_enquiry: "The review is waiting for another process to finish.",
    OtherProcess.serious_case_review: "The review is waiting for another review of the care given.",
    OtherProcess.domestic_homicide_review: "The review is waiting for another process to finish.",
    OtherProcess.serious_incident_investigation: "The review is waiting for a hospital or care investigation.",
    OtherProcess.child_death_review: "The review is waiting for the child death review.",
    OtherProcess.family_requested_delay: "The review is paused, as you asked.",
}

# The steps a family sees on the progress list, and the step each stage belongs to.
STEPS = (
    "We were told of the death",
    "A reviewer was chosen",
    "The review",
    "The local team checks the review",
    "The review is finished",
)
STEP_OF_STAGE = {
    Stage.notified: 0,
    Stage.allocated: 1,
    Stage.initial_review: 2,
    Stage.focused_review: 2,
    Stage.on_hold: 2,
    Stage.awaiting_sign_off: 3,
    Stage.completed: 4,
}

# What a page says after a form was sent (the page is shown again after a redirect).
DONE_WORDS = {
    "concern": "Thank you. Your concern has been sent to the local team, who will reply.",
    "went_well": "Thank you. What you said has been passed to the reviewer.",
    "focused": "You have asked for a focused review. It will take place.",
    "summary_yes": "Your choice is saved: you would like to read the summary of the review.",
    "summary_no": "You have chosen not to receive the summary. You can change your mind at any time.",
}
