"""The staff console's screens and widgets (`kiosk staff`, over SSH).

`kiosk.staff_app.StaffApp` puts them together. They reach the core only through a
`StaffServices` object (or a login callable) handed to them, and every service call
runs in a thread worker.
"""
