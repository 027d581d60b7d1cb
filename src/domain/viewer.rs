//! The verified caller of one request: who they are (a user, a link visitor, the holder of a
//! tab token alone), the company roles their token grants, the channels they are in.

use std::collections::HashMap;

use super::{CompanyId, ItemId, UserId};
use crate::error::AppError;

/// A caller's role in a company; a company absent from the token means `Guest`.
#[derive(Copy, Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Role {
    Guest,
    Member,
    Admin,
    Owner,
}

impl Role {
    pub fn parse(raw: &str) -> Result<Self, AppError> {
        match raw {
            "owner" => Ok(Self::Owner),
            "admin" => Ok(Self::Admin),
            "member" => Ok(Self::Member),
            "guest" => Ok(Self::Guest),
            _ => Err(AppError::bad_input(format!(
                "role must be one of owner, admin, member, guest; got {raw:?}"
            ))),
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Owner => "owner",
            Self::Admin => "admin",
            Self::Member => "member",
            Self::Guest => "guest",
        }
    }

    /// Owners and admins manage the Shared Drive.
    pub fn is_admin(self) -> bool {
        self >= Self::Admin
    }

    /// Everyone but guests counts as a member for `company` access entries.
    pub fn is_member(self) -> bool {
        self >= Self::Member
    }
}

/// A public link presented by an anonymous visitor.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PublicGrant {
    pub company: CompanyId,
    pub item: ItemId,
    /// The link's token: the link must still have it when the visitor uses it.
    pub token: String,
    /// The link's generation when the visitor opened it; any change to the link since
    /// (password, switched off, expiry, rotation) revokes what was made from it. `None`
    /// checks only the token.
    pub generation: Option<i64>,
}

/// The verified identity behind a request.
#[derive(Clone, Debug)]
pub struct Viewer {
    pub user_id: UserId,
    pub name: Option<String>,
    pub email: Option<String>,
    roles: HashMap<CompanyId, Role>,
    /// Channels the caller is a member of, per company (from a tab token).
    channels: Vec<(CompanyId, String)>,
    /// The public link an anonymous visitor holds.
    pub public: Option<PublicGrant>,
    /// The holder of a tab token alone: only the channel's entries apply to them.
    channel_only: bool,
}

impl Viewer {
    pub fn new(user_id: UserId, roles: HashMap<CompanyId, Role>) -> Self {
        Self {
            user_id,
            name: None,
            email: None,
            roles,
            channels: Vec::new(),
            public: None,
            channel_only: false,
        }
    }

    /// The holder of a tab token with no bearer: a member of one channel of one company, and
    /// nothing else (no user entries, no drive, nothing in another company).
    pub fn tab_holder(id: UserId, company: CompanyId, channel: String) -> Self {
        let mut viewer = Self::new(id, HashMap::new());
        viewer.channels.push((company, channel));
        viewer.channel_only = true;
        viewer
    }

    /// An anonymous visitor holding a public link: a guest everywhere, with the link's level
    /// on the link's item and what it holds.
    pub fn visitor(id: UserId, grant: PublicGrant) -> Self {
        let mut viewer = Self::new(id, HashMap::new());
        viewer.public = Some(grant);
        viewer
    }

    pub fn role(&self, company: CompanyId) -> Role {
        self.roles.get(&company).copied().unwrap_or(Role::Guest)
    }

    /// What a link visitor asking outside its link gets: its token does not cover the
    /// request (401).
    pub fn outside_its_link() -> AppError {
        AppError::unauthenticated("this visitor token covers only what its public link shares")
    }

    /// Refuses (401) a link visitor in another company than its link's.
    pub fn may_be_in(&self, company: CompanyId) -> Result<(), AppError> {
        match &self.public {
            Some(grant) if grant.company != company => Err(Self::outside_its_link()),
            _ => Ok(()),
        }
    }

    /// Whether the caller is an anonymous visitor of a public link.
    pub fn is_visitor(&self) -> bool {
        self.public.is_some()
    }

    /// Whether the caller is a person of their own in `company`: a member (not a guest, a
    /// link visitor or a tab holder), with a personal drive, a trash and uploads of their own.
    pub fn is_member_of(&self, company: CompanyId) -> bool {
        self.acts_as_self() && self.role(company).is_member()
    }

    /// Whether the caller holds a tab token alone (a channel-only principal).
    pub fn is_tab_holder(&self) -> bool {
        self.channel_only
    }

    /// Whether `user` entries naming the caller apply (not for a tab token alone).
    pub fn user_entries_apply(&self) -> bool {
        !self.channel_only
    }

    /// Whether what the caller does is recorded as theirs (creator, known users); what a
    /// visitor or a tab holder adds belongs to the owner of where it lands.
    pub fn acts_as_self(&self) -> bool {
        !self.channel_only && self.public.is_none()
    }

    /// The channels of `company` the caller belongs to.
    pub fn channels(&self, company: CompanyId) -> impl Iterator<Item = &str> {
        self.channels
            .iter()
            .filter(move |(c, _)| *c == company)
            .map(|(_, channel)| channel.as_str())
    }

    /// Makes the caller a member of a channel (what a verified tab token says).
    pub fn join_channel(&mut self, company: CompanyId, channel: String) {
        self.channels.push((company, channel));
    }
}
