"""Appliers: for each mutation, a check of the whole request, then a commit.

An applier takes the room's ``Server`` and one mutation.  It raises before it changes anything
(a refused mutation leaves everything as it was, design §1) and then commits through the
server's primitives, which never raise.  ``APPLIERS`` maps each mutation class to its applier;
``Advance`` is applied by ``_time`` (it moves the clock of every room on it).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from roomsim import mutations
from roomsim._apply import (
    audio,
    faults,
    media,
    move,
    participants,
    peer,
    subscriptions,
    tracks,
)
from roomsim._server import Server

__all__ = ["APPLIERS"]

#: mutation class -> applier(server, mutation) -> result
APPLIERS: dict[type[mutations.Mutation], Callable[[Server, Any], Any]] = {
    mutations.Connect: participants.apply_connect,
    mutations.Activate: participants.apply_activate,
    mutations.Disconnect: participants.apply_disconnect,
    mutations.SetName: participants.apply_set_name,
    mutations.SetMetadata: participants.apply_set_metadata,
    mutations.SetAttributes: participants.apply_set_attributes,
    mutations.UpdateParticipant: participants.apply_update_participant,
    mutations.RemoveParticipant: participants.apply_remove_participant,
    mutations.UpdateRoomMetadata: participants.apply_update_room_metadata,
    mutations.DeleteRoom: participants.apply_delete,
    mutations.PublishTrack: tracks.apply_publish,
    mutations.UnpublishTrack: tracks.apply_unpublish,
    mutations.SetTrackMuted: tracks.apply_set_track_muted,
    mutations.MutePublishedTrack: tracks.apply_mute_published_track,
    mutations.SetSubscribed: subscriptions.apply_set_subscribed,
    mutations.UpdateSubscriptions: subscriptions.apply_update_subscriptions,
    mutations.SetTrackSubscriptionPermissions: subscriptions.apply_sub_permissions,
    mutations.SetStreamState: subscriptions.apply_set_stream_state,
    mutations.SendData: faults.apply_send_data,
    mutations.SetAudioLevels: media.apply_set_audio_levels,
    mutations.SetConnectionQuality: media.apply_set_connection_quality,
    mutations.RegisterRpcMethod: peer.apply_register_rpc_method,
    mutations.PerformRpc: peer.apply_perform_rpc,
    mutations.RespondRpc: peer.apply_respond_rpc,
    mutations.SendStreamPackets: peer.apply_send_stream_packets,
    mutations.Interrupt: faults.apply_interrupt,
    mutations.Resume: faults.apply_resume,
    mutations.Reconnect: faults.apply_reconnect,
    mutations.ShutdownServer: faults.apply_shutdown,
    mutations.PushAudio: audio.apply_push_audio,
    mutations.MoveParticipant: move.apply_move,
}
