/**
 * The admin page's script, inlined so the page needs no other request (it
 * works on a closed network). It polls the JSON API and renders with
 * `textContent` only: room names and user ids come from clients.
 */

// String.raw keeps the script's backslashes; it must hold no backtick and no "${".
export const PAGE_SCRIPT = String.raw`
'use strict'
;(() => {
  const meta = (name) =>
    document.querySelector('meta[name="roomcast-' + name + '"]').getAttribute('content')
  const mode = meta('auth')
  const refreshInterval = Number(meta('refresh'))
  const api = location.pathname.replace(/\/+$/, '') + '/api/'
  const TOKEN = 'roomcast-admin-token'
  const $ = (id) => document.getElementById(id)
  let timer = 0
  let running = false
  let queued = false
  let signedOut = false

  class Unauthorized extends Error {}

  const el = (tag, className, text) => {
    const node = document.createElement(tag)
    if (className) node.className = className
    if (text !== undefined) node.textContent = text
    return node
  }
  const setText = (node, text) => {
    if (node.textContent !== text) node.textContent = text
  }
  const short = (id) => (id.length > 12 ? id.slice(0, 8) + '\u2026' : id)
  const count = (value) => (typeof value === 'number' ? String(value) : '\u2013')
  const rate = (value) => (typeof value === 'number' ? value.toFixed(1) : '\u2013')
  const plural = (n, word) => n + ' ' + word + (n === 1 ? '' : 's')

  function say(id, text, isError) {
    const node = $(id)
    setText(node, text)
    node.classList.toggle('error', Boolean(isError))
  }

  async function call(path, body) {
    const headers = { Accept: 'application/json' }
    const token = sessionStorage.getItem(TOKEN)
    if (mode === 'token' && token) headers.Authorization = 'Bearer ' + token
    const init = { headers, credentials: 'same-origin', cache: 'no-store' }
    if (body !== undefined) {
      init.method = 'POST'
      headers['Content-Type'] = 'application/json'
      headers['X-Roomcast-Admin'] = '1'
      init.body = JSON.stringify(body)
    }
    const response = await fetch(api + path, init)
    if (response.status === 401) throw new Unauthorized('not signed in')
    const data = await response.json().catch(() => ({}))
    if (!response.ok) throw new Error(data.error || 'HTTP ' + response.status)
    return data
  }

  // Rows are keyed and kept across refreshes, so a click on a row's button is never lost to a
  // re-render, and only the cells whose text changed are touched.
  function syncRows(tbody, items, keyOf, build, update) {
    const rows = new Map()
    for (const row of tbody.rows) rows.set(row.dataset.key, row)
    let previous = null
    for (const item of items) {
      const key = keyOf(item)
      let row = rows.get(key)
      if (row) rows.delete(key)
      else {
        row = build()
        row.dataset.key = key
      }
      update(row, item)
      const expected = previous ? previous.nextSibling : tbody.firstChild
      if (expected !== row) tbody.insertBefore(row, expected)
      previous = row
    }
    for (const stale of rows.values()) stale.remove()
    $(tbody.parentElement.id + '-empty').hidden = items.length > 0
  }

  const newRow = (classes) => {
    const tr = el('tr')
    for (const className of classes) tr.append(el('td', className))
    return tr
  }

  function renderFigures(f) {
    setText($('figure-connections'), count(f.connections))
    setText($('figure-rooms'), count(f.rooms))
    setText($('figure-users'), count(f.users))
    setText($('figure-in'), rate(f.messagesInPerSecond))
    setText($('figure-out'), rate(f.messagesOutPerSecond))
    setText($('figure-dropped'), count(f.messagesDropped))
    setText($('figure-backpressure'), count(f.closedForBackpressure))
    setText($('figure-nodes'), f.nodesOk + ' / ' + f.nodes)
    $('figure-nodes').classList.toggle('error', f.nodesOk < f.nodes)
  }

  function renderNodes(nodes, errors) {
    const items = nodes.map((node) => ({ key: node.nodeId, node }))
    for (const error of errors) {
      if (!nodes.some((node) => node.nodeId === error.nodeId)) {
        items.push({ key: error.nodeId, error: error.error })
      }
    }
    const build = () => {
      const tr = newRow(['mono', '', 'num', 'num', 'num', 'num', 'num', 'num'])
      tr.cells[1].append(el('span', 'badge'), el('span', 'reason'))
      return tr
    }
    syncRows($('nodes').tBodies[0], items, (item) => item.key, build, (tr, item) => {
      const c = tr.cells
      const node = item.node
      setText(c[0], short(item.key) + (node && node.self ? ' (this node)' : ''))
      c[0].title = item.key
      const status = node ? node.status : 'unreachable'
      const badge = c[1].firstChild
      setText(badge, status)
      badge.className = 'badge ' + status
      const reason = node ? (node.closing ? 'closing' : node.reason || '') : item.error
      setText(c[1].lastChild, reason)
      setText(c[2], count(node && node.connections))
      setText(c[3], count(node && node.rooms))
      setText(c[4], rate(node && node.messagesInPerSecond))
      setText(c[5], rate(node && node.messagesOutPerSecond))
      setText(c[6], count(node && node.messagesDropped))
      setText(c[7], count(node && node.closedForBackpressure))
    })
  }

  function renderRooms(rooms) {
    syncRows($('rooms').tBodies[0], rooms, (room) => room.name, () => newRow(['', 'num', '']), (tr, room) => {
      const c = tr.cells
      setText(c[0], room.name)
      setText(c[1], String(room.connections))
      const names = room.members.map((member) => member.userId || short(member.id))
      const more = room.connections - room.members.length
      setText(c[2], names.join(', ') + (more > 0 ? ' +' + more + ' more' : ''))
    })
    const select = $('broadcast-room')
    const current = [...select.options].slice(1).map((option) => option.value)
    const names = rooms.map((room) => room.name)
    if (current.join('\n') !== names.join('\n')) {
      const chosen = select.value
      while (select.options.length > 1) select.remove(1)
      for (const name of names) select.add(new Option(name, name))
      select.value = names.includes(chosen) ? chosen : ''
    }
  }

  function renderConnections(connections) {
    const build = () => {
      const tr = newRow(['mono', '', 'mono', '', 'actions'])
      const one = el('button', 'danger', 'Disconnect')
      one.type = 'button'
      one.dataset.action = 'disconnect'
      const all = el('button', 'danger', 'Disconnect user')
      all.type = 'button'
      all.dataset.action = 'disconnect-user'
      tr.cells[4].append(one, all)
      return tr
    }
    syncRows($('connections').tBodies[0], connections, (conn) => conn.id, build, (tr, conn) => {
      const c = tr.cells
      setText(c[0], short(conn.id))
      c[0].title = conn.id
      setText(c[1], conn.userId || '\u2013')
      setText(c[2], short(conn.nodeId))
      c[2].title = conn.nodeId
      setText(c[3], conn.rooms.join(', '))
      tr.dataset.user = conn.userId || ''
      tr.dataset.search = [conn.id, conn.userId || '', conn.nodeId, ...conn.rooms].join(' ').toLowerCase()
      c[4].lastChild.hidden = !conn.userId
    })
    applyFilter()
  }

  function applyFilter() {
    const filter = $('filter').value.trim().toLowerCase()
    for (const tr of $('connections').tBodies[0].rows) {
      tr.hidden = filter !== '' && !tr.dataset.search.includes(filter)
    }
  }

  function render(overview) {
    renderFigures(overview.figures)
    renderNodes(overview.nodes, overview.errors)
    renderRooms(overview.rooms)
    renderConnections(overview.connections)
    $('truncated').hidden = !overview.truncated
  }

  function showLogin(message) {
    signedOut = true
    clearTimeout(timer)
    $('dashboard').hidden = true
    $('sign-out').hidden = true
    $('login').hidden = false
    say('login-error', message, true)
    say('status', 'Signed out')
    $('token').focus()
  }

  function failed(error, where) {
    if (!(error instanceof Unauthorized)) return say(where, error.message, true)
    if (mode === 'token') {
      sessionStorage.removeItem(TOKEN)
      showLogin('That token was refused.')
    } else say('status', 'Not authorized: reload the page to sign in again.', true)
  }

  async function refresh() {
    clearTimeout(timer)
    if (running) {
      queued = true
      return
    }
    running = true
    try {
      const overview = await call('overview')
      if (signedOut) return
      render(overview)
      $('login').hidden = true
      $('dashboard').hidden = false
      $('sign-out').hidden = mode !== 'token'
      const missing = overview.errors.map((e) => short(e.nodeId) + ': ' + e.error).join('; ')
      const partial = overview.partial ? ' \u2014 partial (' + missing + ')' : ''
      say('status', 'Updated ' + new Date(overview.time).toLocaleTimeString() + partial, overview.partial)
    } catch (error) {
      failed(error, 'status')
    } finally {
      running = false
    }
    if (signedOut) return
    timer = setTimeout(refresh, queued ? 0 : refreshInterval)
    queued = false
  }

  $('connections').addEventListener('click', async (event) => {
    const button = event.target.closest('button[data-action]')
    if (!button) return
    const tr = button.closest('tr')
    const byUser = button.dataset.action === 'disconnect-user'
    const body = byUser ? { userId: tr.dataset.user } : { id: tr.dataset.key }
    const what = byUser ? 'every connection of user ' + tr.dataset.user : 'connection ' + tr.dataset.key
    if (!confirm('Disconnect ' + what + '?')) return
    button.disabled = true
    try {
      const result = await call('disconnect', body)
      const partial = result.partial ? ' (some nodes did not answer)' : ''
      say('action-result', 'Closed ' + plural(result.closed, 'connection') + partial + '.')
    } catch (error) {
      failed(error, 'action-result')
    } finally {
      button.disabled = false
      refresh()
    }
  })

  $('broadcast-form').addEventListener('submit', async (event) => {
    event.preventDefault()
    const room = $('broadcast-room').value
    const body = { message: $('broadcast-message').value }
    if (room) body.room = room
    try {
      const result = await call('broadcast', body)
      const to = room ? 'room ' + room : 'every connection'
      say('broadcast-result', 'Sent to ' + to + ' (' + plural(result.reachedLocally, 'connection') + ' on this node).')
    } catch (error) {
      failed(error, 'broadcast-result')
    }
  })

  $('filter').addEventListener('input', applyFilter)

  $('login-form').addEventListener('submit', (event) => {
    event.preventDefault()
    const token = $('token').value.trim()
    if (token === '') return
    sessionStorage.setItem(TOKEN, token)
    $('token').value = ''
    say('login-error', '')
    signedOut = false
    refresh()
  })

  $('sign-out').addEventListener('click', () => {
    sessionStorage.removeItem(TOKEN)
    showLogin('')
  })

  if (mode === 'token' && !sessionStorage.getItem(TOKEN)) showLogin('')
  else refresh()
})()
`
